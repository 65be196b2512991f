use pickle::Pickle;

#[derive(Pickle)]
#[pickle(dict)]
struct Pair(i64, String);

#[derive(Pickle)]
#[pickle(dict)]
struct Marker;

#[derive(Pickle)]
#[pickle(dict)]
enum Color {
    Red,
}

#[derive(Pickle)]
#[pickle(dict, rename_all = "camelCase")]
struct Keys {
    user_id: i64,
    #[pickle(rename = "userId")]
    id: i64,
}

fn main() {}
