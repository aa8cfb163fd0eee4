import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { normaliseEndpoint, ownerOf, parseSs, startSocketOwners } from '../../harness/capture/index.js'

test('ss lines: endpoints spelt as the capture spells them, owners from users:, sockets without an owner skipped', () => {
  const text = [
    'tcp   ESTAB  0 0   10.231.0.1:40512        10.231.0.2:8080     users:(("node",pid=4242,fd=23))',
    'udp   UNCONN 0 0   127.0.0.53%lo:53        0.0.0.0:*           users:(("systemd-resolve",pid=99,fd=13))',
    'tcp   ESTAB  0 0   [::ffff:10.0.0.7]:5000  [::ffff:10.0.0.8]:80 users:(("chrome",pid=7,fd=40),("chrome",pid=8,fd=40))',
    'udp   UNCONN 0 0   *:5353                  *:*                 users:(("avahi",pid=5,fd=12))',
    'tcp   TIME-WAIT 0 0 10.0.0.7:5001          10.0.0.8:80',
    'garbage'
  ].join('\n')
  assert.deepEqual(parseSs(text), [
    { protocol: 'tcp', local: '10.231.0.1:40512', pids: [4242], commands: ['node'] },
    { protocol: 'udp', local: '127.0.0.53:53', pids: [99], commands: ['systemd-resolve'] },
    { protocol: 'tcp', local: '10.0.0.7:5000', pids: [7, 8], commands: ['chrome'] },
    { protocol: 'udp', local: '*:5353', pids: [5], commands: ['avahi'] }
  ])
  assert.equal(normaliseEndpoint('[::1]:443'), '::1:443')
  assert.equal(normaliseEndpoint('0.0.0.0:68'), '*:68')
  assert.equal(normaliseEndpoint('nonsense'), null)
  const owners = {
    endpoints: { '*:5353': { ours: true, commands: ['node'] }, '10.0.0.7:5000': { ours: false, commands: ['chrome'] } },
    polls: 1,
    intervalMs: 500
  }
  assert.equal(ownerOf(owners, '10.9.9.9:5353')?.ours, true, 'a socket bound to every address owns its port on each')
  assert.equal(ownerOf(owners, '10.0.0.7:5000')?.ours, false)
  assert.equal(ownerOf(owners, '10.0.0.7:5001'), undefined)
})

test("a real poll tells a descendant's socket from another process's, and stops with nothing left running", async () => {
  const mine = createServer().listen(0, '127.0.0.3')
  await once(mine, 'listening')
  const child = spawn(
    process.execPath,
    ['-e', 'const s = require("node:net").createServer().listen(0, "127.0.0.4", () => console.log(s.address().port)); setTimeout(() => {}, 60000)'],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
    const childPort = Number(chunk.toString().trim())
    // the child is the root: its socket is "ours", this test process's is another program's
    const poller = startSocketOwners({ rootPid: child.pid, intervalMs: 100 })
    await new Promise((resolve) => setTimeout(resolve, 350))
    const owners = await poller.stop()
    assert.equal(owners.error, undefined)
    assert.ok(owners.polls >= 2, `${owners.polls} polls`)
    assert.equal(ownerOf(owners, `127.0.0.4:${childPort}`)?.ours, true)
    assert.deepEqual(ownerOf(owners, `127.0.0.4:${childPort}`)?.commands, ['node'])
    assert.equal(ownerOf(owners, `127.0.0.3:${(mine.address() as AddressInfo).port}`)?.ours, false)
    assert.equal(await poller.stop(), owners, 'stop twice is safe')
    const { execFileSync } = await import('node:child_process')
    // the loop watches this process: other runs' loops watch theirs
    assert.ok(!execFileSync('ps', ['-eo', 'args']).toString().includes(`kill -0 ${process.pid} `), 'the poll loop is gone')
  } finally {
    child.kill()
    mine.close()
  }
})

test('an ss that cannot run is reported, not thrown', async () => {
  const owners = await startSocketOwners({ ssPath: '/nonexistent/ss', intervalMs: 100 }).stop()
  assert.equal(owners.polls, 0)
  assert.match(owners.error ?? '', /nonexistent\/ss/)
})
