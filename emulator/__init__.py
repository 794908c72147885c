"""Offline Telegram Bot API emulator for end-to-end tests and the terminal demo.

Point python-telegram-bot at it with base_url=f"{root}/bot" and
base_file_url=f"{root}/file/bot"; drive users through the /_emulator/ control API.

Implemented: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
sendMessage, sendPhoto, sendDocument, editMessageText, editMessageCaption,
editMessageReplyMarkup, deleteMessage, sendChatAction, getFile,
answerCallbackQuery, answerInlineQuery, setMyCommands, getMyCommands,
deleteMyCommands, set/getMyDescription, set/getMyShortDescription, set/getMyName,
getChat, getChatMember, getChatAdministrators, getChatMemberCount.

Updates reach the bot by getUpdates or, once setWebhook set a URL (plain http is
accepted, any host and port), as JSON POSTs to it (see emulator.webhook): an update
is retried until the webhook answers 2xx, each chat's updates go one at a time in
order, at most max_connections at once. The control API lists every attempt
(/_emulator/webhook/deliveries) and waits for the queue to drain (/webhook/idle).

Accepted as no-ops answering True (nothing observable changes): logOut, close,
pinChatMessage, unpinChatMessage, unpinAllChatMessages, setChatMenuButton,
setMyDefaultAdministratorRights, setMessageReaction.

Every other method in the bundled Bot API spec has its required parameters
checked and is then refused with 400 "Bad Request: method not supported by the
emulator"; names outside the spec get 404 "Not Found".
"""

from emulator.calls import EmulatorError
from emulator.client import EmulatorClient
from emulator.config import DEFAULT_TOKEN, EmulatorConfig
from emulator.server import Emulator
from emulator.sync_client import SyncEmulatorClient
from emulator.thread import EmulatorThread

__all__ = [
    "DEFAULT_TOKEN",
    "Emulator",
    "EmulatorClient",
    "EmulatorConfig",
    "EmulatorError",
    "EmulatorThread",
    "SyncEmulatorClient",
]
