"""A small fake Telegram Bot API server on 127.0.0.1 for end-to-end tests.

It speaks the real HTTP protocol PTB uses (form-encoded POST to
/bot<token>/<method>), keeps every call, queues updates for getUpdates, and can
be told to fail calls (429 with retry_after, 500/502, slow answers).
"""

from __future__ import annotations

import email.policy
import json
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_ID = 5000001
BOT_USERNAME = "hoibao_test_bot"
JSON_FIELDS = {"reply_markup", "entities", "commands", "allowed_updates", "link_preview_options",
               "reply_parameters", "results", "button"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Fault:
    """Answer the next `times` calls of `method` with an error instead (or, with
    `every`, each every-th call for good). Status 0 drops the connection (RST).
    `hang`: hold the call until the client gives up (a timeout by construction, whatever
    its timeout is), recorded as `!method`; answered normally if it waits `delay` s."""

    method: str
    status: int
    times: int = 1
    retry_after: int | None = None
    delay: float = 0.0
    every: int = 0
    hang: bool = False


@dataclass
class FakeTelegram:
    token: str
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # calls per method, faulted or not
    next_update_id: int = 1
    next_message_id: int = 100
    cond: threading.Condition = field(default_factory=threading.Condition)
    on_call: Callable[[Call], None] | None = None
    blocked: set[int] = field(default_factory=set)  # chats whose sendMessage gets 403 (blocked the bot)
    flooded: dict[int, int] = field(default_factory=dict)  # chat → retry_after: its sendMessage gets 429
    admins: dict[int, set[int]] = field(default_factory=dict)  # group id → its admins, for getChatMember
    server: ThreadingHTTPServer | None = None

    # --- control from tests -------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def push(self, update: dict[str, Any]) -> int:
        with self.cond:
            update = {"update_id": self.next_update_id, **update}
            self.next_update_id += 1
            self.updates.append(update)
            self.cond.notify_all()
            return int(update["update_id"])

    def user(self, uid: int, name: str = "Người đọc") -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": name}

    def message(self, text: str, uid: int = 42, chat_id: int | None = None, chat_type: str = "private",
                **extra: Any) -> dict[str, Any]:
        with self.cond:
            mid = self.next_message_id
            self.next_message_id += 1
        msg: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "text": text,
                               "chat": {"id": chat_id if chat_id is not None else uid, "type": chat_type},
                               "from": self.user(uid)}
        if text.startswith("/"):
            cmd = text.split()[0]
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(cmd)}]
        msg.update(extra)
        return msg

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        with self.cond:
            return [c for c in self.calls if c.method == method
                    and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    def wait_for(self, pred: Callable[[], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
        return True

    # --- the protocol ---------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("?", 1)[0]
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            self._send(req, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        method = path[len(prefix):]
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        params = self._params(req.headers.get("Content-Type", ""), body)
        call = Call(method, params, time.monotonic())
        fault = self._take_fault(method)
        if fault is not None and fault.hang:
            if self._until_hangup(req, fault.delay):
                with self.cond:
                    self.calls.append(Call(f"!{method}", params, call.at))
                    self.cond.notify_all()
                req.close_connection = True
                return
            fault = None
        if fault is not None and fault.status == 200:  # only slow: answer late, normally
            time.sleep(fault.delay)
            fault = None
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            with self.cond:
                self.calls.append(Call(f"!{method}", params, call.at))
                self.cond.notify_all()
            if fault.status == 0:  # reset: no answer, the connection closed with RST
                req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                req.close_connection = True
                return
            payload: dict[str, Any] = {"ok": False, "error_code": fault.status,
                                       "description": "Too Many Requests" if fault.status == 429 else "Bad Gateway"}
            if fault.retry_after is not None:
                payload["parameters"] = {"retry_after": fault.retry_after}
                payload["description"] = f"Too Many Requests: retry after {fault.retry_after}"
            self._send(req, fault.status, payload)
            return
        if method == "getUpdates":
            self._send(req, 200, {"ok": True, "result": self._updates(params)})
            return
        chat = int(params.get("chat_id") or 0)
        if method == "sendMessage" and (chat in self.blocked or chat in self.flooded):
            with self.cond:
                self.calls.append(Call(f"!{method}", params, call.at))
                self.cond.notify_all()
            if chat in self.blocked:
                self._send(req, 403, {"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"})
            else:
                self._send(req, 429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                                      "parameters": {"retry_after": self.flooded[chat]}})
            return
        result = self._result(method, params)
        with self.cond:
            self.calls.append(call)
            self.cond.notify_all()
        if self.on_call:
            self.on_call(call)
        self._send(req, 200, {"ok": True, "result": result})

    @staticmethod
    def _until_hangup(req: BaseHTTPRequestHandler, limit: float) -> bool:
        """True once the client closes the connection (its timeout ran out), False after `limit` s."""
        conn = req.connection
        if not select.select([conn], [], [], limit)[0]:
            return False
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        except OSError:  # reset by the client: it gave up too
            return True

    def _take_fault(self, method: str) -> Fault | None:
        with self.cond:
            self.counts[method] = self.counts.get(method, 0) + 1
            for f in self.faults:
                if f.method == method and f.every and self.counts[method] % f.every == 0:
                    return f
            for f in self.faults:
                if f.method == method and not f.every and f.times > 0:
                    f.times -= 1
                    return f
        return None

    @staticmethod
    def _params(ctype: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        if "json" in ctype:
            data = json.loads(body)
            return data if isinstance(data, dict) else {}
        if ctype.startswith("multipart/form-data"):  # uploads (sendPhoto): files kept as bytes
            msg = BytesParser(policy=email.policy.HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
            parts: dict[str, Any] = {}
            for part in msg.iter_parts():
                name, raw = part.get_param("name", header="content-disposition"), part.get_payload(decode=True)
                parts[str(name)] = raw if part.get_filename() else (
                    json.loads(raw) if name in JSON_FIELDS else raw.decode())
            return parts
        out: dict[str, Any] = {}
        for k, v in parse_qs(body.decode(), keep_blank_values=True).items():
            out[k] = json.loads(v[0]) if k in JSON_FIELDS else v[0]
        return out

    def _updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 1.0)
        with self.cond:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.cond.wait(0.05)
            return list(self.updates)

    def _result(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Hỏi Báo", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        if method == "getChatMember":
            uid = int(p.get("user_id") or 0)
            status = "creator" if uid in self.admins.get(int(p.get("chat_id") or 0), set()) else "member"
            return {"status": status, "user": self.user(uid), "is_anonymous": False}
        if method == "sendPhoto":
            with self.cond:
                mid = self.next_message_id
                self.next_message_id += 1
            chat_id = int(p.get("chat_id") or 0)
            return {"message_id": mid, "date": int(time.time()), "caption": p.get("caption", ""),
                    "photo": [{"file_id": f"photo{mid}", "file_unique_id": f"u{mid}", "width": 900, "height": 700}],
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hỏi Báo", "username": BOT_USERNAME}}
        if method in ("sendMessage", "editMessageText"):
            with self.cond:
                mid = int(p.get("message_id") or 0) or self.next_message_id
                if method == "sendMessage":
                    self.next_message_id += 1
            chat_id = int(p.get("chat_id") or 0)
            return {"message_id": mid, "date": int(time.time()), "text": p.get("text", ""),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hỏi Báo", "username": BOT_USERNAME}}
        return True

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            req.send_response(status)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
