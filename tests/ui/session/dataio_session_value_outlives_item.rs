// A value read from a changeset item can't outlive the iterator's position.
use ferrolite::fallible_streaming_iterator::FallibleStreamingIterator;
use ferrolite::session::Changeset;

fn main() {
    let cs = Changeset::from_bytes(&[]).unwrap();
    let mut it = cs.iter().unwrap();
    let first = it.next().unwrap().unwrap().new_value(0).unwrap();
    it.advance().unwrap();
    println!("{first:?}");
}
