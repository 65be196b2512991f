//! What `#[derive(Pickle)]` types write, as `python -m pickletools` shows it.
//!
//! Snapshots live in `tests/snapshots/`. Each is also checked byte for byte
//! against CPython in `tests/derive.rs`; these make the opcodes reviewable.
//! After a deliberate change, regenerate with `INSTA_UPDATE=always cargo test
//! --test derive_dis` and review the diff.

use pickle::ser::{to_vec, ToPickle};
use pickle::Pickle;

#[derive(Pickle)]
#[pickle(module = "geometry")]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Pickle)]
#[pickle(slots)]
struct Slotted {
    x: i64,
    label: String,
}

#[derive(Pickle)]
struct Pair(i64, String);

#[derive(Pickle)]
#[pickle(str_values, rename_all = "SCREAMING_SNAKE_CASE")]
enum Mode {
    ReadWrite,
}

#[derive(Pickle)]
enum Color {
    Green = 2,
}

#[derive(Pickle)]
struct Circle {
    r: f64,
}

#[derive(Pickle)]
struct Square {
    side: f64,
}

#[derive(Pickle)]
enum Shape {
    Circle(Circle),
    Square(Square),
}

fn dis<T: ToPickle + ?Sized>(value: &T, protocol: u8) -> String {
    let data = to_vec(value, protocol).expect("pickles");
    let mut out = Vec::new();
    pickle::dis::dis(&data, &mut out).expect("our pickle disassembles");
    String::from_utf8(out).expect("dis is text")
}

#[test]
fn plain_struct_at_protocol_0_is_reconstructor_then_build() {
    insta::assert_snapshot!("point_p0", dis(&Point { x: 1, y: 2 }, 0));
}

#[test]
fn plain_struct_at_protocol_2_is_newobj_then_build() {
    insta::assert_snapshot!("point_p2", dis(&Point { x: 1, y: 2 }, 2));
}

#[test]
fn list_of_structs_at_protocol_4_fetches_attribute_names_from_the_memo() {
    let points = vec![Point { x: 1, y: 2 }, Point { x: 3, y: 4 }];
    insta::assert_snapshot!("two_points_p4", dis(&points, 4));
}

#[test]
fn slots_struct_state_is_none_then_slots() {
    insta::assert_snapshot!(
        "slotted_p5",
        dis(
            &Slotted {
                x: 1,
                label: "a".into()
            },
            5
        )
    );
}

#[test]
fn tuple_struct_at_protocol_1_is_a_tuple_reconstructor() {
    insta::assert_snapshot!("pair_p1", dis(&Pair(1, "a".into()), 1));
}

#[test]
fn enum_members_are_reduce_of_the_class_and_value() {
    insta::assert_snapshot!("color_green_p2", dis(&Color::Green, 2));
    insta::assert_snapshot!("mode_read_write_p4", dis(&Mode::ReadWrite, 4));
}

#[test]
fn polymorphic_enum_writes_the_values_it_holds() {
    let shapes = vec![
        Shape::Circle(Circle { r: 1.0 }),
        Shape::Square(Square { side: 2.0 }),
    ];
    insta::assert_snapshot!("shapes_p3", dis(&shapes, 3));
}

#[derive(Pickle)]
#[pickle(dict, rename_all = "camelCase")]
struct Entry {
    user_id: i64,
    label: String,
}

#[test]
fn dict_structs_are_plain_dicts_whose_keys_are_fetched_from_the_memo() {
    let entries = vec![
        Entry {
            user_id: 1,
            label: "one".into(),
        },
        Entry {
            user_id: 2,
            label: "two".into(),
        },
    ];
    insta::assert_snapshot!("two_entries_p4", dis(&entries, 4));
    insta::assert_snapshot!(
        "entry_p0",
        dis(
            &Entry {
                user_id: 1,
                label: "one".into()
            },
            0
        )
    );
}
