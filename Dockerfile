# courier in a container, for the objects `courier fleet manifests` prints (README "On Kubernetes").
# Written on paper: the machine courier is developed on has no container engine, so this file has
# not been built. tcpdump for `capture: auto`; iproute2 for `ss`, which tells courier's sockets
# from other programs'.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tcpdump iproute2 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/courier
COPY . .
# npm ci runs `prepare`, which builds dist/
RUN npm ci && npm cache clean --force
ENTRYPOINT ["node", "dist/bin/courier.js"]
CMD ["--help"]
