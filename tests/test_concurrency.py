"""50 clients at once against a real server: no 5xx, and every 201 is readable right after.

The server is the app on a real loopback port (uvicorn, as ``growth-manager web`` runs it) on the
suite's database; the clients are 50 threads with their own connections, released together.
Half create drafts and read each one back at once on a fresh connection (a commit after the
response would show up here as a 404), the others list, read and page through the drafts; a few
send invalid bearer tokens, which must be refused without disturbing anyone else.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx2
from fastapi import FastAPI
from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.models.content import Post
from tests.support.factories import bearer_for, make_business, make_user
from tests.support.live_server import live_server

CLIENTS = 50
ROUNDS = 3


def test_fifty_concurrent_clients_get_answers_and_read_their_own_writes(
    app: FastAPI, database: Database
) -> None:
    with database.session() as session:
        owner = make_user(session, "load@example.com")
        business = make_business(session, owner)
        headers = bearer_for(session, owner)
        business_id = business.id
    drafts = f"/api/v1/businesses/{business_id}/drafts"
    start = threading.Barrier(CLIENTS)
    statuses: Counter[int] = Counter()
    unreadable: list[str] = []
    lock = threading.Lock()

    def client(number: int, base_url: str) -> None:
        with httpx2.Client(base_url=base_url, timeout=60) as http:
            start.wait()
            for round_ in range(ROUNDS):
                answers: list[httpx2.Response] = []
                if number % 2 == 0:
                    created = http.post(
                        drafts,
                        json={"title": f"c{number}r{round_}", "base_text": f"from {number}"},
                        headers=headers,
                    )
                    answers.append(created)
                    if created.status_code == 201:
                        draft_id = created.json()["id"]
                        # A new connection, so nothing can be served from this one's state.
                        with httpx2.Client(base_url=base_url, timeout=60) as fresh:
                            read = fresh.get(f"{drafts}/{draft_id}", headers=headers)
                        answers.append(read)
                        if read.status_code != 200 or read.json()["title"] != f"c{number}r{round_}":
                            with lock:
                                unreadable.append(f"draft {draft_id}: {read.status_code}")
                elif number % 10 == 1:
                    answers.append(
                        http.get(drafts, headers={"Authorization": f"Bearer gm_invalid{number}"})
                    )
                else:
                    answers.append(http.get(drafts, headers=headers, params={"limit": 20}))
                    answers.append(http.get("/api/v1/auth/me", headers=headers))
                with lock:
                    statuses.update(answer.status_code for answer in answers)

    with live_server(app) as base_url, ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client, number, base_url) for number in range(CLIENTS)]
        for future in futures:
            future.result()

    assert not [status for status in statuses if status >= 500], statuses
    assert unreadable == []
    creates = CLIENTS // 2 * ROUNDS
    assert statuses[201] == creates, statuses
    invalid = len([n for n in range(CLIENTS) if n % 2 and n % 10 == 1]) * ROUNDS
    assert statuses[401] == invalid, statuses
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == creates
