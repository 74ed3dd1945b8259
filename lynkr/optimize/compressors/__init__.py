"""Recognisers and compressors for coding-agent tool outputs; the public face is
``lynkr.optimize.text_compressors``. One module per family of outputs."""
