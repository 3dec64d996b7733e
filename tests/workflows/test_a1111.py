"""AUTOMATIC1111 infotext: prompt split, parameter line, sampler/scheduler mapping."""

from __future__ import annotations

import pytest

from sftui.errors import WorkflowError
from sftui.workflows.a1111 import map_sampler, parse_infotext


def test_full_infotext() -> None:
    text = (
        "masterpiece, a fox\nin the snow\n"
        "Negative prompt: lowres,\nblurry\n"
        'Steps: 30, Sampler: DPM++ SDE Karras, CFG scale: 6.5, Seed: 18446744073709551615, Size: 1024x768, '
        'Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Denoising strength: 0.4, Hires upscale: 2, '
        'Lora hashes: "fox: a1b2, snow: c3d4", Version: v1.10.1'
    )
    params, warnings = parse_infotext(text, source="fox.png")
    assert params.prompt == "masterpiece, a fox\nin the snow"
    assert params.negative_prompt == "lowres,\nblurry"
    assert params.parameters == {
        "steps": 30, "cfg_scale": 6.5, "seed": 2**64 - 1, "width": 1024, "height": 768,
        "sampler_name": "dpmpp_sde", "scheduler": "karras", "checkpoint_name": "sd_xl_base_1.0.safetensors",
    }  # fmt: skip
    assert params.raw["Lora hashes"] == "fox: a1b2, snow: c3d4"
    assert params.raw["Denoising strength"] == "0.4" and params.raw["Version"] == "v1.10.1"
    assert warnings == ["fox.png: A1111 Model 'sd_xl_base_1.0' has no file extension; assuming sd_xl_base_1.0.safetensors"]


@pytest.mark.parametrize(
    "sampler,schedule,expected",
    [
        ("DPM++ 2M Karras", None, ("dpmpp_2m", "karras")),
        ("Euler a", None, ("euler_ancestral", "normal")),
        ("DPM++ SDE Karras", None, ("dpmpp_sde", "karras")),
        ("DPM++ 2M SDE Exponential", None, ("dpmpp_2m_sde", "exponential")),
        ("DDIM", None, ("ddim", "ddim_uniform")),
        ("UniPC", None, ("uni_pc", "normal")),
        ("LMS", None, ("lms", "normal")),
        ("Heun", None, ("heun", "normal")),
        ("DPM2 a Karras", None, ("dpm_2_ancestral", "karras")),
        ("LMS Karras", None, ("lms", "karras")),
        ("DPM++ 2M", None, ("dpmpp_2m", "normal")),  # before 1.9 the bare name meant plain sigmas
        ("DPM++ 2M", "Karras", ("dpmpp_2m", "karras")),
        ("DPM++ 2M", "Automatic", ("dpmpp_2m", "karras")),
        ("DPM++ 2M SDE", "Automatic", ("dpmpp_2m_sde", "exponential")),
        ("Euler", "SGM Uniform", ("euler", "sgm_uniform")),
        ("Euler", "Simple", ("euler", "simple")),
        ("Euler", "Beta", ("euler", "beta")),
        ("dpm++  2m", "KL Optimal", ("dpmpp_2m", "kl_optimal")),
    ],
)
def test_sampler_mapping(sampler: str, schedule: str | None, expected: tuple[str, str]) -> None:
    warnings: list[str] = []
    assert map_sampler(sampler, schedule, warnings) == {"sampler_name": expected[0], "scheduler": expected[1]}
    assert warnings == []


def test_unknown_sampler_or_schedule_is_a_warning() -> None:
    params, warnings = parse_infotext("cat\nSteps: 20, Sampler: PLMS, Seed: 3, CFG scale: 7", source="t.txt")
    assert "sampler_name" not in params.parameters and params.parameters["steps"] == 20
    assert warnings == ["t.txt: A1111 sampler 'PLMS' has no ComfyUI equivalent; keeping the workflow's sampler"]
    params, warnings = parse_infotext("cat\nSteps: 20, Sampler: Euler, Schedule type: Align Your Steps, Seed: 3", source="t.txt")
    assert params.parameters["scheduler"] == "normal"
    assert warnings == ["t.txt: A1111 schedule type 'Align Your Steps' has no ComfyUI equivalent; using 'normal'"]


def test_bad_numbers_are_warnings() -> None:
    params, warnings = parse_infotext("x\nSteps: many, Sampler: Euler, Seed: 1.5, Size: big, CFG scale: nan", source="t")
    assert params.parameters == {"sampler_name": "euler", "scheduler": "normal"}
    assert warnings == [
        "t: A1111 Steps 'many' is not a number; ignored",
        "t: A1111 CFG scale 'nan' is not a number; ignored",
        "t: A1111 Seed '1.5' is not a number; ignored",
        "t: A1111 Size 'big' is not WIDTHxHEIGHT; ignored",
    ]


def test_prompt_without_negative_and_model_with_extension() -> None:
    params, warnings = parse_infotext("only positive\nSteps: 4, Sampler: LCM, Seed: 0, Model: turbo.ckpt")
    assert (params.prompt, params.negative_prompt) == ("only positive", "")
    assert params.parameters["checkpoint_name"] == "turbo.ckpt" and warnings == []


def test_text_without_a_parameter_line_is_an_error() -> None:
    with pytest.raises(WorkflowError) as excinfo:
        parse_infotext("a cat\nNegative prompt: dog", source="p.txt")
    assert str(excinfo.value) == "p.txt is not A1111 infotext: no 'Steps: …, Sampler: …' parameter line at its end"
