"""Formatting and upgrading text: a comment-keeping layout tree, its printer, Caffe's upgrades."""
