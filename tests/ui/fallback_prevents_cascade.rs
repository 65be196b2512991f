use pickle::Pickle;

// The attribute is wrong, but the type still implements ToPickle and
// FromPickle, so code using it reports nothing more.
#[derive(Pickle)]
struct Point {
    #[pickle(skip, rename = "X")]
    x: i64,
}

fn use_it(p: &Point) -> pickle::Result<Point> {
    let bytes = pickle::ser::to_vec(p, 2)?;
    pickle::de::from_slice(&bytes)
}

fn main() {
    let _ = use_it(&Point { x: 1 });
}
