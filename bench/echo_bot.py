"""The yardstick for ``bench_webhook.py``: line-bot-sdk's own Flask echo bot.

Written after the SDK's example ``examples/flask-echo/app_with_handler.py`` (line-bot-sdk v3):
a ``WebhookHandler`` checks the signature and calls a handler per text message, which opens an
``ApiClient`` and replies with the same text, inside the request, on gunicorn's defaults (one
sync worker). The only change is ``Configuration(host=LINE_API_BASE)`` so that it talks to the
bench's LINE stand-in. It reads no database and keeps nothing: the least a LINE bot can do.

    LINE_CHANNEL_SECRET=... LINE_CHANNEL_ACCESS_TOKEN=... LINE_API_BASE=http://127.0.0.1:PORT \
        gunicorn bench.echo_bot:app
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import MessageEvent, TextMessageContent

app = Flask(__name__)
handler = WebhookHandler(os.environ["LINE_CHANNEL_SECRET"])
configuration = Configuration(host=os.environ.get("LINE_API_BASE", "https://api.line.me"),
                              access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"])


@app.post("/callback")
def callback():
    signature = request.headers.get("X-Line-Signature", "")
    body = request.get_data(as_text=True)
    try:
        handler.handle(body, signature)
    except InvalidSignatureError:
        abort(400)
    return "OK"


@app.get("/healthz")
def healthz():
    return "OK"


@handler.add(MessageEvent, message=TextMessageContent)
def echo(event: MessageEvent) -> None:
    with ApiClient(configuration) as api_client:
        MessagingApi(api_client).reply_message_with_http_info(
            ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)]))
