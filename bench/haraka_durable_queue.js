// The bench's Haraka queue plugin: every recipient accepted, each mail written durably
// (write, fsync, rename, fsync the directory) before Haraka answers 250 - the same promise
// `inbox serve` makes, so the comparison is fair.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

exports.register = function () {
    this.spool = process.env.BENCH_SPOOL_DIR;
    fs.mkdirSync(path.join(this.spool, 'tmp'), { recursive: true });
    fs.mkdirSync(path.join(this.spool, 'new'), { recursive: true });
};

exports.hook_rcpt = function (next) {
    next(OK);
};

exports.hook_queue = function (next, connection) {
    const transaction = connection.transaction;
    const temporary = path.join(this.spool, 'tmp', transaction.uuid);
    const final = path.join(this.spool, 'new', transaction.uuid);
    const directory = path.join(this.spool, 'new');
    const fail = (err) => next(DENYSOFT, `durable write failed: ${err.message}`);
    fs.open(temporary, 'w', (err, fd) => {
        if (err) return fail(err);
        const out = fs.createWriteStream(null, { fd, autoClose: false });
        out.on('error', fail);
        out.on('finish', () => {
            fs.fsync(fd, (err) => {
                if (err) return fail(err);
                fs.close(fd, () => {
                    fs.rename(temporary, final, (err) => {
                        if (err) return fail(err);
                        syncDirectory(directory, (err) => (err ? fail(err) : next(OK)));
                    });
                });
            });
        });
        transaction.message_stream.pipe(out);
    });
};

function syncDirectory(directory, done) {
    fs.open(directory, 'r', (err, fd) => {
        if (err) return done(err);
        fs.fsync(fd, (err) => fs.close(fd, () => done(err)));
    });
}
