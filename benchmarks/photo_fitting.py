"""Photo fitting on a real face: face-region PSNR and CPU time of each phase.

    python benchmarks/photo_fitting.py [--model PATH] [--quick] [--threads N]

scikit-image's astronaut (512x512, public domain) is aligned and parsed by the photo pipeline,
encoded, then (1) the region vectors are fitted (the paper's optimisation phase: Adam, lr 1e-2,
50 steps) and (2) the generator is fine-tuned on the photo (lr 1e-3, 200 steps). Prints the
face-region PSNR (the regions pasted back into a photo) after the encoder, after each phase,
and the wall-clock and process CPU seconds of each. ``--quick`` runs 10 + 20 steps.
"""

import argparse
import sys
import time

import torch
from skimage import data

import e4s_core
from e4s_core import imageio
from e4s_core import paper_constants as paper
from e4s_core.errors import E4SError
from e4s_core.fitting import finetune_generator, fit_vectors
from e4s_core.imageio import labels_to_tensor
from e4s_core.photo.align import align_photo
from e4s_core.photo.parse import parse_face


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="checkpoint file (default: the bundled model)")
    parser.add_argument("--quick", action="store_true", help="10 vector steps and 20 fine-tuning steps")
    parser.add_argument("--vectors-steps", type=int, help=f"default {paper.FIT_VECTORS_STEPS} (the paper's)")
    parser.add_argument("--finetune-steps", type=int, help=f"default {paper.FINETUNE_STEPS} (the paper's)")
    parser.add_argument("--device", default="cpu", help="default cpu: the figure the issue asks for")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    vector_steps = args.vectors_steps or (10 if args.quick else paper.FIT_VECTORS_STEPS)
    finetune_steps = args.finetune_steps or (20 if args.quick else paper.FINETUNE_STEPS)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        model = e4s_core.load_model(args.model, device=args.device)
    except E4SError as error:
        print(f"photo_fitting: {error} (pass --model PATH)", file=sys.stderr)
        return 2

    aligned = align_photo(data.astronaut(), size=max(512, model.resolution))
    labels = labels_to_tensor(parse_face(aligned))  # [1, 512, 512]
    image = imageio.image_to_tensor(aligned.image)  # [1, 3, S, S]
    print(f"model {model.describe()}, {torch.get_num_threads()} CPU threads")
    print(f"astronaut aligned to {aligned.image.shape[0]} px and parsed; fitting at {model.resolution} px")

    with Clock() as vectors_clock:
        fitted = fit_vectors(model, image, labels, steps=vector_steps)
    with Clock() as tune_clock:
        tuned = finetune_generator(model, image, labels, fitted.vectors, steps=finetune_steps)

    print(f"{'phase':<26}{'face PSNR':>10}{'wall s':>9}{'CPU s':>9}")
    print(f"{'encoder only':<26}{fitted.psnr_before:>10.2f}")
    print(
        f"{f'+ vectors, {fitted.steps_done} steps':<26}{fitted.psnr_after:>10.2f}"
        f"{vectors_clock.wall:>9.1f}{vectors_clock.cpu:>9.1f}"
    )
    print(
        f"{f'+ fine-tune, {tuned.steps_done} steps':<26}{tuned.psnr_after:>10.2f}"
        f"{tune_clock.wall:>9.1f}{tune_clock.cpu:>9.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
