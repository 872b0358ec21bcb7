"""Writes every image of an ImageNet-style folder (<class>/<image>) to
<out>/<class>/<name>.jpg, its shorter side resized to SIZE and centre-cropped
to SIZE x SIZE, JPEG quality 90: real photographs small enough to pack for
the portable GPU check (benchmarks/gpu/pack.sh), whose images_to_hdf5
converts them on the GPU machine.
Uses Debian's python3-pil; never part of training.
    /usr/bin/python3 shrink_samples.py IN OUT SIZE"""
import os
import sys

from PIL import Image

source, target, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = 0
for folder in sorted(os.listdir(source)):
    path = os.path.join(source, folder)
    if not os.path.isdir(path):
        continue
    os.makedirs(os.path.join(target, folder), exist_ok=True)
    for name in sorted(os.listdir(path)):
        with Image.open(os.path.join(path, name)) as image:
            image = image.convert("RGB")
            scale = size / min(image.size)
            width, height = max(size, round(image.width * scale)), max(size, round(image.height * scale))
            image = image.resize((width, height), Image.BILINEAR)
            left, top = (width - size) // 2, (height - size) // 2
            image = image.crop((left, top, left + size, top + size))
            image.save(os.path.join(target, folder, os.path.splitext(name)[0] + ".jpg"), quality=90)
            count += 1
print(f"shrink_samples: {count} images to {target}")
