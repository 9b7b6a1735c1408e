"""One family of errors for everything schedlab explains to a user, by kind."""

from __future__ import annotations

import pytest

from schedlab import ConfigError, DataError, LinkError, SchedlabError, ScheduleError


def test_training_settings_are_config_errors_not_schedule_errors() -> None:
    from schedlab.training.loop import TrainConfig

    with pytest.raises(ConfigError, match="epochs must be a whole number") as caught:
        TrainConfig(epochs=0)
    assert not isinstance(caught.value, ScheduleError) and caught.value.param == "epochs"
    with pytest.raises(ConfigError, match="model must be one of"):
        TrainConfig(model="resnet")


def test_a_bad_link_is_a_link_error_and_still_a_schedule_error() -> None:
    import base64
    import json
    import zlib

    from schedlab.present.share import ExplorerState

    with pytest.raises(LinkError, match="damaged"):
        ExplorerState.decode("%%%")
    data = ExplorerState().to_dict()
    data["schedule"]["scheduler"]["name"] = "NoSuchLR"  # well packed, but no schedule
    link = base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode())).decode()
    with pytest.raises(LinkError, match="unknown scheduler 'NoSuchLR'") as caught:
        ExplorerState.decode(link)
    assert isinstance(caught.value, ScheduleError)  # pages that catch those catch it


def test_every_kind_is_a_schedlab_error() -> None:
    for kind in (ScheduleError, LinkError, ConfigError, DataError):
        assert issubclass(kind, SchedlabError) and issubclass(kind, ValueError)


def test_data_problems_are_data_errors() -> None:
    from schedlab.training.data import load_digits

    with pytest.raises(DataError, match="no such directory"):
        load_digits("/nonexistent/mnist")
