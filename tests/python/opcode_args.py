"""Prints, for tests/opcode_table.rs, each opcode's argument as pickletools
describes it: {name: [argument name or None, n]} in JSON, where n is the
argument's size, or one of pickletools' negative markers (UP_TO_NEWLINE,
TAKEN_FROM_ARGUMENT1/4/4U/8U)."""
import json
import pickletools

print(json.dumps({
    op.name: [op.arg.name, op.arg.n] if op.arg is not None else [None, 0]
    for op in pickletools.opcodes
}))
