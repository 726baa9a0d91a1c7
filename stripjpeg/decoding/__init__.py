"""The decoder's stages (issue 18), NumPy textbook: coefficients -> samples -> pixels."""
