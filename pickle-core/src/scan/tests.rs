//! Each test is a trick a malicious pickle plays, hand-written byte by byte
//! (never run in Python). The bytes are annotated opcode by opcode.

use super::*;
use crate::ErrorKind;

fn find<'r>(report: &'r Report, qualified: &str) -> &'r GlobalRef {
    report
        .globals
        .iter()
        .find(|g| g.qualified() == qualified)
        .unwrap_or_else(|| panic!("{qualified} not in {:#?}", report.globals))
}

#[test]
fn plain_global_call_is_dangerous() {
    // GLOBAL os.system; MARK; STRING 'ls'; TUPLE; REDUCE; STOP
    let report = scan(b"cos\nsystem\n(S'ls'\ntR.");
    let g = find(&report, "os.system");
    assert_eq!(g.level, Level::Dangerous);
    assert_eq!(g.uses, [Use::Reduce]);
    assert_eq!(g.offsets, [0]);
    assert!(report.error.is_none());
    assert_eq!(report.pickles, 1);
}

#[test]
fn reduce_of_a_global_fetched_from_the_memo_is_attributed_to_it() {
    // PROTO 2
    // GLOBAL builtins.len; BINPUT 0; POP
    // GLOBAL os.system; BINPUT 1; POP
    // BINGET 1; BINUNICODE 'ls'; TUPLE1; REDUCE; STOP
    let data = b"\x80\x02cbuiltins\nlen\nq\x000cos\nsystem\nq\x010h\x01X\x02\x00\x00\x00ls\x85R.";
    let report = scan(data);
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(find(&report, "os.system").uses, [Use::Reduce]);
    assert!(find(&report, "builtins.len").uses.is_empty());
    assert_eq!(report.level(), Level::Dangerous);
}

#[test]
fn memoize_then_get_reaches_the_same_global() {
    // PROTO 4
    // SHORT_BINUNICODE 'os'; MEMOIZE(0); SHORT_BINUNICODE 'system'; MEMOIZE(1)
    // STACK_GLOBAL; MEMOIZE(2); POP
    // BINGET 2; SHORT_BINUNICODE 'ls'; TUPLE1; REDUCE; STOP
    let data = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x940h\x02\x8c\x02ls\x85R.";
    let report = scan(data);
    assert!(report.error.is_none(), "{:?}", report.error);
    let g = find(&report, "os.system");
    assert_eq!(g.uses, [Use::Reduce]);
    assert_eq!(g.offsets, [16]);
}

#[test]
fn stack_global_operands_from_the_memo_are_resolved() {
    // PROTO 4
    // SHORT_BINUNICODE 'os'; MEMOIZE(0); SHORT_BINUNICODE 'system'; MEMOIZE(1)
    // TUPLE2; POP                       -- the strings now live only in the memo
    // BINGET 0; BINGET 1; STACK_GLOBAL  -- os.system, spelled from the memo
    // EMPTY_TUPLE; REDUCE; STOP
    let data = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x860h\x00h\x01\x93)R.";
    let report = scan(data);
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(find(&report, "os.system").uses, [Use::Reduce]);
}

#[test]
fn reduce_after_pop_calls_what_lies_below() {
    // GLOBAL os.system; GLOBAL builtins.len; POP  -- len is a decoy
    // MARK; STRING 'ls'; TUPLE; REDUCE; STOP
    let report = scan(b"cos\nsystem\ncbuiltins\nlen\n0(S'ls'\ntR.");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(find(&report, "os.system").uses, [Use::Reduce]);
    assert!(find(&report, "builtins.len").uses.is_empty());
}

#[test]
fn a_second_pickle_after_stop_is_scanned() {
    // First pickle: BININT1 1; STOP. Second: os.system('ls') at protocol 0.
    let report = scan(b"K\x01.cos\nsystem\n(S'ls'\ntR.");
    assert_eq!(report.pickles, 2);
    let g = find(&report, "os.system");
    assert_eq!(g.offsets, [3]);
    assert_eq!(report.level(), Level::Dangerous);
    assert!(report.error.is_none());
}

#[test]
fn python_2_builtin_spelling_is_classified_by_both_names() {
    // PROTO 2; GLOBAL __builtin__.eval; BINUNICODE '1'; TUPLE1; REDUCE; STOP
    let report = scan(b"\x80\x02c__builtin__\neval\nX\x01\x00\x00\x001\x85R.");
    let g = find(&report, "builtins.eval");
    assert_eq!(
        g.written,
        Some(("__builtin__".to_owned(), "eval".to_owned()))
    );
    assert_eq!(g.level, Level::Dangerous);
    // At protocol 3 nothing is renamed, and the written name alone is dangerous.
    let report = scan(b"\x80\x03c__builtin__\neval\nX\x01\x00\x00\x001\x85R.");
    assert_eq!(find(&report, "__builtin__.eval").level, Level::Dangerous);
}

#[test]
fn posix_system_is_dangerous() {
    // PROTO 2; GLOBAL posix.system; BINUNICODE 'ls'; TUPLE1; REDUCE; STOP
    let report = scan(b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00ls\x85R.");
    assert_eq!(find(&report, "posix.system").level, Level::Dangerous);
}

#[test]
fn inst_names_and_calls_its_class() {
    // MARK; STRING 'ls'; INST os system; STOP
    let report = scan(b"(S'ls'\nios\nsystem\n.");
    assert!(report.error.is_none(), "{:?}", report.error);
    let g = find(&report, "os.system");
    assert_eq!(g.uses, [Use::Inst]);
    assert_eq!(g.offsets, [7]);
}

#[test]
fn obj_calls_the_first_item_above_the_mark() {
    // MARK; GLOBAL os.system; STRING 'ls'; OBJ; STOP
    let report = scan(b"(cos\nsystem\nS'ls'\no.");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(find(&report, "os.system").uses, [Use::Obj]);
}

#[test]
fn newobj_ex_is_a_use() {
    // PROTO 4; 'posix'; 'system'; STACK_GLOBAL; EMPTY_TUPLE; EMPTY_DICT; NEWOBJ_EX; STOP
    let report = scan(b"\x80\x04\x8c\x05posix\x8c\x06system\x93)}\x92.");
    assert_eq!(find(&report, "posix.system").uses, [Use::NewObjEx]);
}

#[test]
fn registered_extension_code_names_its_global() {
    // PROTO 2; EXT1 7; BINUNICODE 'ls'; TUPLE1; REDUCE; EXT1 7; POP; STOP
    let data = b"\x80\x02\x82\x07X\x02\x00\x00\x00ls\x85R\x82\x070.";
    let mut unpickler = Unpickler::new().extension(7, "os", "system");
    let report = scan_with(&mut unpickler, data);
    assert!(report.error.is_none(), "{:?}", report.error);
    let g = find(&report, "os.system");
    assert_eq!(g.uses, [Use::Ext(7), Use::Reduce]);
    assert_eq!(g.level, Level::Dangerous);
}

#[test]
fn unknown_extension_code_is_reported_then_the_error() {
    // PROTO 2; EXT2 0x1234; EMPTY_TUPLE; REDUCE; STOP
    let report = scan(b"\x80\x02\x83\x34\x12)R.");
    assert_eq!(report.unknown_extensions, [(0x1234, 2)]);
    assert_eq!(report.level(), Level::Unknown);
    let e = report.error.as_ref().expect("unregistered code fails");
    assert_eq!(e.kind(), ErrorKind::UnknownExtension);
}

#[test]
fn partial_of_a_dangerous_callable_is_dangerous() {
    // PROTO 2; GLOBAL functools.partial; GLOBAL os.system; TUPLE1; REDUCE
    // BINUNICODE 'ls'; TUPLE1; REDUCE; STOP        -- partial(os.system)('ls')
    let data = b"\x80\x02cfunctools\npartial\ncos\nsystem\n\x85RX\x02\x00\x00\x00ls\x85R.";
    let report = scan(data);
    assert!(report.error.is_none(), "{:?}", report.error);
    let partial = find(&report, "functools.partial");
    assert_eq!(partial.level, Level::Dangerous);
    assert_eq!(partial.reason, "wraps the dangerous os.system");
    // The second REDUCE calls the partial, whose class is functools.partial.
    assert_eq!(partial.uses, [Use::Reduce]);
    assert!(find(&report, "os.system").uses.is_empty());
}

#[test]
fn partial_of_a_harmless_callable_stays_unknown() {
    // PROTO 2; GLOBAL functools.partial; GLOBAL builtins.len; TUPLE1; REDUCE; STOP
    let report = scan(b"\x80\x02cfunctools\npartial\ncbuiltins\nlen\n\x85R.");
    assert_eq!(find(&report, "functools.partial").level, Level::Unknown);
    assert_eq!(report.level(), Level::Unknown);
}

#[test]
fn build_on_a_global_is_seen_and_the_scan_goes_on() {
    // PROTO 2; GLOBAL builtins.len; EMPTY_DICT; BUILD; POP;
    // GLOBAL os.system; SHORT_BINUNICODE 'ls'; TUPLE1; REDUCE; STOP.
    // CPython applies the state to the function and goes on to the call;
    // so does the scan (the loader refuses the BUILD).
    let report = scan(b"\x80\x02cbuiltins\nlen\n}b0cos\nsystem\nX\x02\x00\x00\x00ls\x85R.");
    assert_eq!(find(&report, "builtins.len").uses, [Use::Build]);
    assert_eq!(find(&report, "os.system").uses, [Use::Reduce]);
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.level(), Level::Dangerous);
    let loaded = crate::loads::<crate::Value>(b"\x80\x02cbuiltins\nlen\n}b.");
    assert_eq!(loaded.unwrap_err().kind(), ErrorKind::TypeMismatch);
}

#[test]
fn build_on_a_called_global_is_attributed_to_the_global() {
    // PROTO 2; GLOBAL mymodule.Example; EMPTY_TUPLE; REDUCE; EMPTY_DICT; BUILD; STOP
    let report = scan(b"\x80\x02cmymodule\nExample\n)R}b.");
    let g = find(&report, "mymodule.Example");
    assert_eq!(g.uses, [Use::Reduce, Use::Build]);
    assert_eq!(g.level, Level::Unknown);
}

#[test]
fn an_error_in_a_later_pickle_keeps_the_earlier_findings() {
    // A call of os.system, STOP, then a truncated pickle.
    let report = scan(b"cos\nsystem\n(S'ls'\ntR.\x80\x02c");
    assert_eq!(report.pickles, 1);
    assert_eq!(report.error_pickle_start, 21);
    assert!(report.error.is_some());
    assert_eq!(report.level(), Level::Dangerous);
}

#[test]
fn empty_or_truncated_input_is_an_error_with_nothing_found() {
    for data in [&b""[..], b"\x80\x02", b"\xff"] {
        let report = scan(data);
        assert_eq!(report.pickles, 0);
        assert!(report.globals.is_empty());
        assert!(report.error.is_some());
    }
}

#[test]
fn getattr_folding_is_seen_as_the_global_it_reaches() {
    // How protocols 0-3 write a nested class: getattr(mymodule.Outer, 'Inner').
    // PROTO 2; GLOBAL builtins.getattr; GLOBAL mymodule.Outer; BINUNICODE 'Inner'; TUPLE2; REDUCE; STOP
    let report =
        scan(b"\x80\x02cbuiltins\ngetattr\ncmymodule\nOuter\nX\x05\x00\x00\x00Inner\x86R.");
    assert_eq!(find(&report, "builtins.getattr").uses, [Use::Reduce]);
    assert_eq!(find(&report, "mymodule.Outer.Inner").level, Level::Unknown);
    // getattr itself may reach anything, so the pickle is dangerous.
    assert_eq!(report.level(), Level::Dangerous);
}

#[test]
fn benign_standard_types_are_safe() {
    // pickle.dumps(collections.OrderedDict(a=1), protocol=2)
    let ordered = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aq\x02K\x01s.";
    // pickle.dumps(datetime.datetime(2020, 1, 2, 3, 4, 5), protocol=2)
    let datetime = b"\x80\x02cdatetime\ndatetime\nq\x00c_codecs\nencode\nq\x01X\x0b\x00\x00\x00\x07\xc3\xa4\x01\x02\x03\x04\x05\x00\x00\x00q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07.";
    // pickle.dumps(decimal.Decimal('1.5'), protocol=4)
    let decimal = b"\x80\x04\x95!\x00\x00\x00\x00\x00\x00\x00\x8c\x07decimal\x94\x8c\x07Decimal\x94\x93\x94\x8c\x031.5\x94\x85\x94R\x94.";
    for data in [&ordered[..], &datetime[..], &decimal[..]] {
        let report = scan(data);
        assert!(report.error.is_none(), "{:?}", report.error);
        assert_eq!(report.level(), Level::Safe, "{:#?}", report.globals);
    }
}
