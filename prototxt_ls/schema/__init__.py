"""caffe.proto schemas: the bundled BVLC one, a loader for any proto2 file, and
a bridge to protobuf descriptors."""
