// Unit tests of validation.mjs: `node --test` from lambda_src/chat-nodejs, nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  BadRequest,
  parseBody,
  validateHistoryRequest,
  validateRoom,
  validateText,
} from '../validation.mjs';

/** @param {() => unknown} call */
const code = (call) => {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof BadRequest);
    return error.code;
  }
  return null;
};

test('rooms of any script are accepted, NFC-normalised', () => {
  for (const room of ['lobby', '大厅', 'sala-ñ', 'комната', 'नमस्ते', 'R'.repeat(64)]) {
    assert.equal(validateRoom(room), room);
  }
  assert.equal(validateRoom('sala-n\u0303'), 'sala-\u00f1');
});

test('invisible, spaced, empty and overlong room names are refused', () => {
  const refused = ['', 'a\u200bb', '\u202eabc', 'a\u0007b', 'two words', 'x'.repeat(65), '\u0303a', null, 7];
  for (const room of refused) assert.equal(code(() => validateRoom(room)), 'invalid_room', String(room));
});

test('bodies that are not one JSON object get their own codes', () => {
  assert.equal(code(() => parseBody(null)), 'empty_body');
  assert.equal(code(() => parseBody('  ')), 'empty_body');
  assert.equal(code(() => parseBody('hello')), 'invalid_json');
  assert.equal(code(() => parseBody('NaN')), 'invalid_json');
  assert.equal(code(() => parseBody('[1, 2]')), 'invalid_message');
  assert.deepEqual(parseBody('{"action": "joinroom"}'), { action: 'joinroom' });
});

test('the text is a non-blank string within the size in UTF-8 bytes', () => {
  assert.equal(validateText({ data: 'hi' }, 10), 'hi');
  assert.equal(code(() => validateText({}, 10)), 'missing_data');
  assert.equal(code(() => validateText({ data: 5 }, 10)), 'invalid_data');
  assert.equal(code(() => validateText({ data: '   ' }, 10)), 'invalid_data');
  assert.equal(code(() => validateText({ data: '\ud800' }, 10)), 'invalid_data');
  assert.equal(code(() => validateText({ data: 'é'.repeat(6) }, 11)), 'message_too_large');
});

test('a history request names a whole sinceSeq and a limit from 1 to 100', () => {
  assert.deepEqual(validateHistoryRequest({ sinceSeq: 4 }), { room: null, sinceSeq: 4, limit: 50 });
  assert.equal(code(() => validateHistoryRequest({})), 'invalid_since_seq');
  assert.equal(code(() => validateHistoryRequest({ sinceSeq: -1 })), 'invalid_since_seq');
  assert.equal(code(() => validateHistoryRequest({ sinceSeq: 1, limit: 101 })), 'invalid_limit');
});
