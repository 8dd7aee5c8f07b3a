//! Matching species terms in listing text. This part holds the normaliser;
//! the automaton, scoring and sweeps build on it (see docs/species-lists.md).

pub mod normalize;
