"""The stages of a JPEG encoder, in NumPy: the textbook, one module per stage, in the order a
strip goes through them::

    pixels --samples.prepare_samples--> samples --quantize.quantized_blocks--> blocks
           (colour, edges, downsampling)          (level shift, dct.FORWARD_DCT, quantize,
                                                   dummy blocks)
    blocks --huffman.entropy_encode--> bytes      (sequential Huffman, T.81 F.1.2)
           --huffman.count_symbols-->  counts     (for optimize=True)
           --arithmetic.arithmetic_encode--> bytes  (arithmetic coding, T.81 Annex D, F.1.4)

``entropy`` holds what every entropy coder shares (:class:`~.entropy.EntropyState`). Each
coding process is one module: ``huffman``, ``progressive`` (progressive Huffman, G.1.2),
``arithmetic`` (sequential and progressive arithmetic coding, F.1.4 and G.1.3); lossless
prediction would be a sibling. Every stage is a pure function of (data, plan).

These are the default implementation of every backend stage (:mod:`stripjpeg.backends.base`):
a backend replaces only the stages it speeds up. Importing this package imports no backend.
"""
