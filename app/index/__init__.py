"""The sentence encoder and the vector index behind one small interface."""
