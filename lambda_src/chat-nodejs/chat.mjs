// The chat's Lambda entry points under the names of the route table, so that one template
// serves both implementations with the same Handler strings:
//
// | route         | Handler string                |
// |---------------|-------------------------------|
// | `$connect`    | `chat.handlers.connect`       |
// | `$disconnect` | `chat.handlers.disconnect`    |
// | `sendmessage` | `chat.handlers.send_message`  |
// | `joinroom`    | `chat.handlers.join_room`     |
// | `$default`    | `chat.handlers.default`       |
// | `history`     | `chat.handlers.history`       |
// | authorizer    | `chat.handlers.authorize`     |
//
// In Python, `chat.handlers.connect` is the function `connect` of the module chat/handlers.py.
// Lambda's Node.js runtime reads the same string as the module `chat` (this file, chat.mjs,
// at the root of the zip) and then the property path `handlers.connect` of its exports: a
// handler may be nested in an exported object (aws/aws-lambda-nodejs-runtime-interface-client,
// src/UserFunction.js: "module.nestedobj.handler").

import {
  authorize,
  onConnect,
  onDefault,
  onDisconnect,
  onHistory,
  onJoinRoom,
  onSendMessage,
} from './handlers.mjs';

export const handlers = Object.freeze({
  connect: onConnect,
  disconnect: onDisconnect,
  send_message: onSendMessage,
  join_room: onJoinRoom,
  default: onDefault,
  history: onHistory,
  authorize,
});
