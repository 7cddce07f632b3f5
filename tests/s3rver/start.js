#!/usr/bin/env node
// Starts s3rver 3.7.1 for the staging tests and bench:
//   node --openssl-legacy-provider tests/s3rver/start.js --directory DIR [--port 0] [--address 127.0.0.1]
// (s3rver's ListObjectsV2 continuation tokens use DES, which Node 17+ refuses without the legacy provider.)
// Prints "S3RVER_READY http://ADDRESS:PORT" once listening (port 0: the OS picks a free one), and exits when its
// stdin closes, so a test process that dies takes its server with it. Credentials: S3RVER / S3RVER.
//
// s3rver ignores If-Match on GET; S3 and R2 answer 412 Precondition Failed when the ETag differs. This adds that
// answer, so the staging code's "the object changed under me" path is exercised against the stand-in.
'use strict';

const S3rver = require('s3rver');

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const directory = argument('directory');
if (!directory) {
  console.error('usage: node start.js --directory DIR [--port 0] [--address 127.0.0.1]');
  process.exit(2);
}

const server = new S3rver({
  address: argument('address', '127.0.0.1'),
  port: Number(argument('port', '0')),
  directory,
  silent: true,
});

const bare = etag => etag.trim().replace(/^W\//, '').replace(/"/g, '');

server.middleware.unshift(async (ctx, next) => {
  const ifMatch = ctx.get('if-match');
  await next();
  if (!ifMatch || !['GET', 'HEAD'].includes(ctx.method) || ctx.status >= 300) {
    return;
  }
  const etag = bare(ctx.response.get('etag') || '');
  const wanted = ifMatch.split(',').map(bare);
  if (wanted.includes('*') || wanted.includes(etag)) {
    return;
  }
  if (ctx.body && typeof ctx.body.destroy === 'function') {
    ctx.body.destroy();
  }
  ctx.remove('Content-Range');
  ctx.status = 412;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
    '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
    '<Condition>If-Match</Condition></Error>';
});

server.run().then(
  ({ address, port }) => {
    process.stdout.write(`S3RVER_READY http://${address}:${port}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
  },
  error => {
    console.error(`s3rver failed to start: ${error.message}`);
    process.exit(1);
  },
);
