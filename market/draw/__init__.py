"""The draw ceremony of a procurement (``market-draw/2``, docs/draw-spec.md §3), wired into
the platform: commitments at publication, the freeze at the deadline, the reveal window, the
beacon and the selection at the announced time.

- :mod:`.declaration` — pure: the beacon declaration and commitments as they are given;
- :mod:`.rounds` — storage of a round and the publication hook (:func:`.rounds.prepare_round`);
- :mod:`.service` — what people do: commit, reveal, enter the beacon, read the ceremony and
  the record;
- :mod:`.steps` — what time does: :func:`.steps.freeze` and :func:`.steps.select`, called only
  by :mod:`market.lifecycle` (an import-linter contract);
- :mod:`.inputs` — the method's inputs from the opening list and the registries.
"""
