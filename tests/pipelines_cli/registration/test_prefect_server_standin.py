"""The Prefect Server stand-in refuses what the server refuses (it is not a yes-machine).

The stand-in replaces a Prefect 1 Server, which cannot run here (see its docstring);
these tests check the parts the registration tests lean on.
"""

from typing import Any

import pytest
from prefect import Flow, task
from prefect.exceptions import ClientError
from prefect.utilities.graphql import compress

from pipelines_cli.registration.client import SingleAttemptClient

CREATE = {
    "mutation($input: create_flow_from_compressed_string_input!)": {
        "create_flow_from_compressed_string(input: $input)": {"id"}
    }
}


@task
def noop() -> None:
    """Does nothing."""


def _serialized(schedule: Any = None) -> dict[str, Any]:
    with Flow("EMD: teste - Nada") as flow:
        noop()
    serialized = flow.serialize()
    if schedule is not None:
        serialized["schedule"] = schedule
    return serialized


def _create(
    client: SingleAttemptClient, project_id: str, serialized: dict[str, Any], key: str
) -> str:
    variables = {
        "input": {
            "project_id": project_id,
            "serialized_flow": compress(serialized),
            "idempotency_key": key,
            "set_schedule_active": False,
        }
    }
    return client.graphql(
        CREATE, variables=variables
    ).data.create_flow_from_compressed_string.id


def _project_id(client: SingleAttemptClient) -> str:
    return (
        client.graphql({"query": {'project(where: {name: {_eq: "staging"}})': {"id"}}})
        .data.project[0]
        .id
    )


def test_standin_refuses_a_flow_prefects_schema_cannot_load(
    prefect_server: Any,
) -> None:
    client = SingleAttemptClient()

    with pytest.raises(ClientError, match="Flow could not be deserialized"):
        _create(
            client,
            _project_id(client),
            _serialized(schedule={"clocks": "not a list"}),
            "k",
        )

    assert prefect_server.flows("staging") == []


def test_standin_versions_flows_by_idempotency_key(prefect_server: Any) -> None:
    client = SingleAttemptClient()
    project_id = _project_id(client)

    first = _create(client, project_id, _serialized(), "key-1")
    again = _create(client, project_id, _serialized(), "key-1")
    second = _create(client, project_id, _serialized(), "key-2")

    assert again == first
    rows = prefect_server.flows("staging", include_archived=True)
    assert [(row["id"], row["version"], row["archived"]) for row in rows] == [
        (first, 1, True),
        (second, 2, False),
    ]


@pytest.mark.usefixtures("prefect_server")
def test_standin_answers_400_to_a_query_outside_the_schema() -> None:
    client = SingleAttemptClient()

    with pytest.raises(ClientError, match="400"):
        client.graphql({"query": {"project": {"no_such_field"}}})
