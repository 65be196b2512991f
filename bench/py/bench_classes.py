"""Classes used by the pickle benchmark workloads.

Imported by generate.py (which pickles instances) and cpython.py (which loads
them), always as the module ``bench_classes`` so that the pickles name the
class ``bench_classes.Record``.  The Rust runner mirrors ``Record`` with a
``#[derive(Pickle)]`` struct registered under that module and qualname.
"""


class Record:
    """A plain class pickled by the default ``object.__reduce_ex__``.

    With protocol 2+ that is ``NEWOBJ`` (``copyreg.__newobj__(Record)``)
    followed by ``BUILD`` with the instance ``__dict__``, whose keys are in
    the order the attributes are set below:

        id: int, score: float, name: str, tags: list[int] (3 items),
        counts: dict[str, int] (keys "x" and "y")
    """

    def __init__(self, id, score, name, tags, counts):
        self.id = id
        self.score = score
        self.name = name
        self.tags = tags
        self.counts = counts

    def __eq__(self, other):
        return type(other) is Record and self.__dict__ == other.__dict__

    def __repr__(self):
        return "Record(%r)" % (self.__dict__,)
