use pickle::Pickle;

#[derive(Pickle)]
#[pickle(getnewargs, rename_all = "camelCase", deny_unknown_fields)]
struct Pair {
    #[pickle(rename = "l")]
    left: i64,
    #[pickle(default)]
    right: i64,
}

#[derive(Pickle)]
struct Tuple(#[pickle(rename = "a")] i64);

#[derive(Pickle)]
#[pickle(getnewargs)]
struct Empty;

fn main() {}
