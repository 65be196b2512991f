//! The disassembler, output identical to `python3 -m pickletools`. (Being written.)
