'use strict';
// A fast SMSC for bench/run-kannel (KannelBench), on the npm "smpp" package: the same simulator
// for Kannel and for a Parlor node. Listens on 127.0.0.1; usage: node smsc.js <port> (0: any).
// Accepts any bind (transceiver, or transmitter and receiver), answers every submit_sm at once
// with a hex id, then sends its delivery receipt (esm_class 0x04; the id in decimal in the text,
// in hex in receipted_message_id, as many SMSCs do) to the session that bound as receiver or
// transceiver for that system id. stdout: "listening port=N", then a line per bind; nothing per
// message. stdin "count" prints "submits=N receipts=M".
const smpp = require('smpp');
const readline = require('readline');

const port = parseInt(process.argv[2] || '0', 10);
let nextId = 0x5a0000;
let submits = 0;
let receipts = 0;
const receivers = new Map(); // system id -> session that takes receipts

const server = smpp.createServer(function (session) {
  let systemId = null;
  function bind(pdu, receives) {
    systemId = pdu.system_id;
    if (receives) {
      receivers.set(systemId, session);
    }
    session.send(pdu.response({ system_id: 'bench-smsc' }));
    process.stdout.write('bound ' + pdu.command + ' systemId=' + systemId + '\n');
  }
  session.on('bind_transceiver', function (pdu) { bind(pdu, true); });
  session.on('bind_receiver', function (pdu) { bind(pdu, true); });
  session.on('bind_transmitter', function (pdu) { bind(pdu, false); });
  session.on('enquire_link', function (pdu) { session.send(pdu.response()); });
  session.on('unbind', function (pdu) {
    session.send(pdu.response());
    session.close();
  });
  session.on('submit_sm', function (pdu) {
    submits++;
    const id = (++nextId).toString(16).toUpperCase();
    session.send(pdu.response({ message_id: id }), function () {
      if ((pdu.registered_delivery & 0x03) === 0) {
        return;
      }
      const to = receivers.get(systemId) || session;
      to.deliver_sm({
        source_addr: pdu.destination_addr,
        destination_addr: pdu.source_addr,
        esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
        data_coding: 0,
        short_message: 'id:' + parseInt(id, 16) + ' sub:001 dlvrd:001 submit date:2612051000 ' +
          'done date:2612051000 stat:DELIVRD err:000 text:',
        receipted_message_id: id,
        message_state: smpp.MESSAGE_STATE.DELIVERED,
      }, function () {
        receipts++;
      });
    });
  });
  session.on('error', function () {});
  session.on('close', function () {
    if (systemId !== null && receivers.get(systemId) === session) {
      receivers.delete(systemId);
    }
  });
});

server.listen(port, '127.0.0.1', function () {
  process.stdout.write('listening port=' + server.address().port + '\n');
});

readline.createInterface({ input: process.stdin }).on('line', function (line) {
  if (line.trim() === 'count') {
    process.stdout.write('submits=' + submits + ' receipts=' + receipts + '\n');
  }
});
process.stdin.on('end', function () { process.exit(0); });
