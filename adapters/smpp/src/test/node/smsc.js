'use strict';
// A small SMSC on the npm "smpp" package (an SMPP implementation that is not jsmpp), driven by
// SmppNodeSmscIT. Listens on 127.0.0.1 only; usage: node smsc.js <port> (0 = any free port).
//
// stdout, one event per line: "<event> key=value ..."; texts are hex of their UTF-8 bytes, so
// values never contain spaces.
//   listening port=N | bound systemId=S | submit id=HEX source=.. dest=.. ... text=HEX udh=HEX
//   receipt_resp id=HEX status=N | mo_resp status=N | closed | error message=HEX
// stdin, one command per line:
//   mo <source> <dest> <dataCoding> <textHex> [udhHex]    send a deliver_sm (user message)
//   exit
const smpp = require('smpp');
const readline = require('readline');

const port = parseInt(process.argv[2] || '0', 10);
let nextId = 0x5a0000;
let current = null;

function hex(s) {
  return Buffer.from(String(s), 'utf8').toString('hex');
}

function out(event, fields) {
  const parts = [event];
  for (const k of Object.keys(fields || {})) {
    parts.push(k + '=' + (fields[k] === null || fields[k] === undefined ? '' : fields[k]));
  }
  process.stdout.write(parts.join(' ') + '\n');
}

const server = smpp.createServer(function (session) {
  session.on('bind_transceiver', function (pdu) {
    if (pdu.system_id !== 'parlor' || pdu.password !== 'secret') {
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      session.close();
      return;
    }
    session.send(pdu.response({ system_id: 'node-smsc' }));
    current = session;
    out('bound', { systemId: pdu.system_id });
  });
  session.on('enquire_link', function (pdu) {
    session.send(pdu.response());
  });
  session.on('unbind', function (pdu) {
    session.send(pdu.response());
    session.close();
  });
  session.on('submit_sm', function (pdu) {
    const id = (++nextId).toString(16).toUpperCase();
    const sm = pdu.short_message || {};
    const udh = sm.udh && sm.udh.length ? Buffer.concat(sm.udh).toString('hex') : '';
    const validity = pdu.validity_period instanceof Date ? pdu.validity_period.getTime() : '';
    out('submit', {
      id: id,
      source: pdu.source_addr,
      sourceTon: pdu.source_addr_ton,
      dest: pdu.destination_addr,
      destTon: pdu.dest_addr_ton,
      destNpi: pdu.dest_addr_npi,
      dataCoding: pdu.data_coding,
      esmClass: pdu.esm_class,
      registeredDelivery: pdu.registered_delivery,
      validityMillis: validity,
      text: hex(sm.message || ''),
      udh: udh,
    });
    session.send(pdu.response({ message_id: id }), function () {
      // The receipt names the id in decimal in its text and in hex in receipted_message_id.
      session.deliver_sm({
        source_addr: pdu.destination_addr,
        destination_addr: pdu.source_addr,
        esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
        data_coding: 0,
        short_message: 'id:' + parseInt(id, 16) + ' sub:001 dlvrd:001 submit date:2611291000 ' +
          'done date:2611291001 stat:DELIVRD err:000 text:',
        receipted_message_id: id,
        message_state: smpp.MESSAGE_STATE.DELIVERED,
      }, function (resp) {
        out('receipt_resp', { id: id, status: resp.command_status });
      });
    });
  });
  session.on('error', function (e) {
    out('error', { message: hex(e && e.message) });
  });
  session.on('close', function () {
    if (current === session) {
      current = null;
    }
    out('closed');
  });
});

server.listen(port, '127.0.0.1', function () {
  out('listening', { port: server.address().port });
});

readline.createInterface({ input: process.stdin }).on('line', function (line) {
  const a = line.trim().split(/\s+/);
  if (a[0] === 'mo' && current) {
    const message = Buffer.from(a[4], 'hex').toString('utf8');
    const shortMessage = a[5] ? { udh: Buffer.from(a[5], 'hex'), message: message } : message;
    current.deliver_sm({
      source_addr: a[1],
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: a[2],
      data_coding: parseInt(a[3], 10),
      short_message: shortMessage,
    }, function (resp) {
      out('mo_resp', { status: resp.command_status });
    });
  } else if (a[0] === 'mo') {
    out('mo_resp', { status: -1 });
  } else if (a[0] === 'exit') {
    process.exit(0);
  }
});
process.stdin.on('end', function () {
  process.exit(0);
});
