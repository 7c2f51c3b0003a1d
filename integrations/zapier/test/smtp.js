'use strict';

// Just enough SMTP to hand one mail to the server under test (a real mail over loopback).

const net = require('node:net');

const sendMail = ({ host, port, from, to, message }) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const body = message.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const steps = [
      null, // the greeting
      'EHLO zapier-test.localhost',
      `MAIL FROM:<${from}>`,
      `RCPT TO:<${to}>`,
      'DATA',
      `${body.replace(/\r\n$/, '')}\r\n.`,
      'QUIT',
    ];
    const replies = [];
    let buffer = '';
    socket.setTimeout(30000, () => socket.destroy(new Error('SMTP server did not answer in 30 s')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      // A reply is complete at a line "NNN text" (continuations are "NNN-text").
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        const end = buffer.search(/^\d{3} .*\r\n/m);
        const line = buffer.slice(end).split('\r\n')[0];
        buffer = buffer.slice(end + line.length + 2);
        replies.push(line);
        const code = Number(line.slice(0, 3));
        if (code >= 400) {
          socket.destroy();
          reject(new Error(`SMTP refused: ${line} (after ${steps[replies.length - 1] || 'connect'})`));
          return;
        }
        if (replies.length === steps.length) {
          socket.end();
          resolve(replies);
          return;
        }
        socket.write(`${steps[replies.length]}\r\n`, 'latin1');
      }
    });
  });

module.exports = { sendMail };
