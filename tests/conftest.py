import os

# Before any test module imports TensorFlow: keep its C++ start-up logging out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
