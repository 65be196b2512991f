use pickle::Pickle;

#[derive(Pickle)]
#[pickle(transparent, module = "ids", alias = "ids.Old")]
struct UserId(#[pickle(rename = "id")] u64);

#[derive(Pickle)]
#[pickle(transparent)]
struct Pair(u64, u64);

fn main() {}
