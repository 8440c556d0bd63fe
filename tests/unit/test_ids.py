"""The ids the service hands out look exactly like `str(uuid.uuid4())`."""

import uuid

from invoicegate.services.ids import new_id


def test_new_ids_are_random_version_4_uuids_in_canonical_text() -> None:
    made = [new_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lowercase, hyphenated, as uuid4() writes it
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
