"""Reading, checking and writing .caffemodel files (binary NetParameter)."""
