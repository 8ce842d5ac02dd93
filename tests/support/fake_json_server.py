"""A JSON web service on 127.0.0.1 for tests of clients of outside services (no internet)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit


class FakeJSONServer:
    """Answers every GET with answer(path, query) as JSON; .asked lists (path, query) in order."""

    def __init__(self, answer: Callable[[str, dict], object]):
        asked = self.asked = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)  # not urlparse: it cuts the path at the first ";"
                path, query = unquote(url.path), {k: v[0] for k, v in parse_qs(url.query).items()}
                asked.append((path, query))
                data = json.dumps(answer(path, query)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
