"""Real photos in, seamless photos out: reading, face detection, FFHQ alignment, parsing, paste-back.

Everything here is Qt-free and works on numpy uint8 RGB arrays ([H, W, 3]) in photo
pixel coordinates (x right, y down). Colors are treated as sRGB: an embedded color
profile is carried to the output untouched, never converted.
"""
