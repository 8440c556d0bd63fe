"""The ids the service hands out look exactly like `str(uuid.uuid4())`, and never repeat."""

import os
import threading
import uuid

from invoicegate.services.ids import new_id, new_request_id


def test_new_ids_are_random_version_4_uuids_in_canonical_text() -> None:
    made = [new_id() for _ in range(2000)]  # many refills of the made ones
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lowercase, hyphenated, as uuid4() writes it
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_request_ids_are_32_random_hex_digits() -> None:
    made = [new_request_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    assert all(len(text) == 32 and text == f"{int(text, 16):032x}" for text in made)


def test_threads_taking_ids_at_once_never_share_one() -> None:
    taken: list[list[str]] = [[] for _ in range(8)]

    def take(into: list[str]) -> None:
        into.extend(new_id() for _ in range(3000))
        into.extend(new_request_id() for _ in range(3000))

    threads = [threading.Thread(target=take, args=(into,)) for into in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [text for into in taken for text in into]
    assert len(set(every)) == len(every) == 8 * 6000


def test_a_forked_child_never_hands_out_its_parents_ids() -> None:
    new_id(), new_request_id()  # the parent holds made ids, waiting
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        os.write(writing, f"{new_id()} {new_request_id()}".encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    childs = os.read(reading, 200).decode().split()
    os.close(reading)
    assert childs[0] != new_id()
    assert childs[1] != new_request_id()
