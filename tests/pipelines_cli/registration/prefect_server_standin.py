"""A stand-in for a Prefect 1 Server's GraphQL API, served over HTTP on loopback.

What it stands for: Prefect Server (the `prefect_server` GraphQL service over Hasura and
PostgreSQL that `prefect server start` runs), which needs Docker and cannot run on these
machines. It answers the calls Prefect 1.4.1's own `Client` makes for
`pipelines register` and `pipelines run-cloud`: `project`, `flow`, `flow_by_pk`, `tenant`
and `auth_info` look-ups; `create_flow_from_compressed_string`, `register_tasks` and
`register_edges`; `set_schedule_active` and `set_schedule_inactive`; `create_flow_run`.

Faithful where registration depends on it:
- every request is parsed and validated by graphql-core against a schema written after
  the server's (Hasura's `where`/`order_by` inputs, the mutation inputs of
  `flows.graphql`); a malformed query is answered 400, as the server does;
- every serialized flow is loaded with Prefect's own
  `prefect.serialization.flow.FlowSchema` (the flow part at creation, the whole flow once
  its tasks and edges arrived); a flow it cannot load is refused;
- versions are kept as `prefect_server.api.flows.create_flow` keeps them: one version
  group per project and flow name, the last idempotency key in the flow group's
  `settings`; the same key returns the existing flow, another one creates version n+1
  and archives the older ones; a new version's schedule starts inactive;
- `create_flow_run` honours its idempotency key and refuses archived flows.

Not covered: tenants beyond one, real authentication (an optional bearer key is
checked), agents and the execution of flow runs, and every other part of the API.

Tests drive it through `PrefectServerStandIn`; it also runs by hand, e.g. for the
benchmark or to try the CLI:

    .venv/bin/python tests/pipelines_cli/registration/prefect_server_standin.py --port 4200
"""

import argparse
import itertools
import json
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import methodcaller
from typing import Any, Callable, Iterator

from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    build_schema,
    graphql_sync,
    parse,
)

SCHEMA_SDL = """
scalar JSON
scalar jsonb
scalar uuid
scalar UUID
scalar timestamptz

enum order_by { asc asc_nulls_first asc_nulls_last desc desc_nulls_first desc_nulls_last }

input String_comparison_exp {
  _eq: String _neq: String _in: [String!] _nin: [String!] _is_null: Boolean
}
input uuid_comparison_exp {
  _eq: uuid _neq: uuid _in: [uuid!] _nin: [uuid!] _is_null: Boolean
}
input Int_comparison_exp {
  _eq: Int _neq: Int _gt: Int _gte: Int _lt: Int _lte: Int _in: [Int!] _nin: [Int!]
  _is_null: Boolean
}
input Boolean_comparison_exp { _eq: Boolean _neq: Boolean _is_null: Boolean }

input project_bool_exp {
  _and: [project_bool_exp!] _or: [project_bool_exp!] _not: project_bool_exp
  id: uuid_comparison_exp name: String_comparison_exp tenant_id: uuid_comparison_exp
}
input flow_group_bool_exp {
  _and: [flow_group_bool_exp!] _or: [flow_group_bool_exp!] _not: flow_group_bool_exp
  id: uuid_comparison_exp name: String_comparison_exp
}
input flow_bool_exp {
  _and: [flow_bool_exp!] _or: [flow_bool_exp!] _not: flow_bool_exp
  id: uuid_comparison_exp name: String_comparison_exp version: Int_comparison_exp
  archived: Boolean_comparison_exp project_id: uuid_comparison_exp
  project: project_bool_exp flow_group_id: uuid_comparison_exp
  flow_group: flow_group_bool_exp version_group_id: String_comparison_exp
  is_schedule_active: Boolean_comparison_exp tenant_id: uuid_comparison_exp
}
input flow_run_bool_exp {
  _and: [flow_run_bool_exp!] _or: [flow_run_bool_exp!] _not: flow_run_bool_exp
  id: uuid_comparison_exp flow_id: uuid_comparison_exp flow: flow_bool_exp
}
input tenant_bool_exp { id: uuid_comparison_exp slug: String_comparison_exp }

input project_order_by { name: order_by created: order_by }
input flow_order_by { name: order_by version: order_by created: order_by }
input flow_run_order_by { created: order_by }

type tenant { id: uuid! name: String! slug: String! }
type auth_info { tenant_id: uuid api_token_scope: String }
type project {
  id: uuid! name: String! tenant_id: uuid! description: String created: timestamptz!
}
type flow_group {
  id: uuid! name: String! tenant_id: uuid! settings: jsonb! schedule: jsonb
  labels: jsonb default_parameters: jsonb description: String
}
type task { id: uuid! name: String slug: String! type: String max_retries: Int }
type flow {
  id: uuid! name: String! version: Int! archived: Boolean! tenant_id: uuid!
  project_id: uuid! project: project! flow_group_id: uuid! flow_group: flow_group!
  version_group_id: String! is_schedule_active: Boolean! schedule: jsonb
  serialized_flow: jsonb run_config: jsonb storage: jsonb parameters: jsonb
  core_version: String description: String created: timestamptz! tasks: [task!]!
}
type flow_run {
  id: uuid! name: String flow_id: uuid! flow: flow! parameters: jsonb labels: jsonb
  state: String idempotency_key: String created: timestamptz!
}

type Query {
  tenant(where: tenant_bool_exp): [tenant!]!
  auth_info: auth_info
  project(where: project_bool_exp, limit: Int, offset: Int,
          order_by: [project_order_by!]): [project!]!
  flow(where: flow_bool_exp, limit: Int, offset: Int,
       order_by: [flow_order_by!]): [flow!]!
  flow_by_pk(id: uuid!): flow
  flow_run(where: flow_run_bool_exp, limit: Int,
           order_by: [flow_run_order_by!]): [flow_run!]!
  flow_run_by_pk(id: uuid!): flow_run
}

type flow_id_payload { id: UUID }
type flow_run_id_payload { id: UUID }
type success_payload { success: Boolean error: String }

input create_flow_from_compressed_string_input {
  serialized_flow: String! project_id: UUID! version_group_id: String
  set_schedule_active: Boolean description: String idempotency_key: String
}
input create_flow_input {
  serialized_flow: JSON! project_id: UUID! version_group_id: String
  set_schedule_active: Boolean description: String idempotency_key: String
}
input register_tasks_input { serialized_tasks: JSON! flow_id: UUID! }
input register_edges_input { serialized_edges: JSON! flow_id: UUID! }
input set_schedule_active_input { flow_id: UUID! }
input set_schedule_inactive_input { flow_id: UUID! }
input archive_flow_input { flow_id: UUID! }
input create_flow_run_input {
  flow_id: UUID version_group_id: String parameters: JSON context: JSON
  scheduled_start_time: timestamptz flow_run_name: String labels: [String!]
  run_config: JSON idempotency_key: String
}

type Mutation {
  create_flow_from_compressed_string(
    input: create_flow_from_compressed_string_input!): flow_id_payload
  create_flow(input: create_flow_input!): flow_id_payload
  register_tasks(input: register_tasks_input!): success_payload
  register_edges(input: register_edges_input!): success_payload
  set_schedule_active(input: set_schedule_active_input!): success_payload
  set_schedule_inactive(input: set_schedule_inactive_input!): success_payload
  archive_flow(input: archive_flow_input!): success_payload
  create_flow_run(input: create_flow_run_input!): flow_run_id_payload
}
"""

# Relationships that `where` filters may follow: table -> field -> (table, row -> row).
Relation = tuple[str, Callable[[dict[str, Any]], dict[str, Any] | None]]


@dataclass
class Fault:
    """A failure the stand-in answers instead of running a request.

    Attributes:
        operation: the root field of the request, e.g. `create_flow_from_compressed_string`.
        flow_name: only requests about this flow (by name), if given.
        status: the HTTP status to answer (502 by default).
        times: how many matching requests fail; None for every one.
        error_message: answer HTTP 200 with this GraphQL error instead of a status.
    """

    operation: str
    flow_name: str | None = None
    status: int = 502
    times: int | None = 1
    error_message: str | None = None


@dataclass
class RecordedRequest:
    """One request the stand-in received."""

    operation: str
    query: str
    variables: dict[str, Any]
    headers: dict[str, str]
    status: int
    flow_name: str | None = None


@dataclass
class _State:
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    flow_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    flow_runs: dict[str, dict[str, Any]] = field(default_factory=dict)


class PrefectServerStandIn:
    """A Prefect Server stand-in on `http://127.0.0.1:<port>/graphql` (see module doc).

    Args:
        projects: projects to create at start.
        api_key: when set, requests must carry `Authorization: Bearer <api_key>`.
        port: 0 picks a free port.
    """

    def __init__(
        self,
        projects: tuple[str, ...] = ("staging", "production"),
        *,
        api_key: str | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.internal_errors: list[str] = []
        self._state = _State()
        self._lock = threading.RLock()
        self._clock = itertools.count(1)
        self._schema = build_schema(SCHEMA_SDL)
        self._attach_resolvers()
        tenant_id = self._new_id()
        self._state.tenants[tenant_id] = {
            "id": tenant_id,
            "name": "default",
            "slug": "default",
        }
        self.tenant_id = tenant_id
        for name in projects:
            self.add_project(name)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The GraphQL endpoint, as PREFECT__CLOUD__API expects it."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/graphql"

    def start(self) -> "PrefectServerStandIn":
        """Serves requests on a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serves requests on this thread until interrupted (running it by hand)."""
        self._server.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        """Stops serving and closes the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "PrefectServerStandIn":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests look at -----------------------------------------------------------

    def add_project(self, name: str) -> str:
        """Creates a project (as `prefect create project`); returns its id."""
        with self._lock:
            project_id = self._new_id()
            self._state.projects[project_id] = {
                "id": project_id,
                "name": name,
                "tenant_id": self.tenant_id,
                "description": None,
                "created": self._now(),
            }
            return project_id

    def flows(
        self, project: str, *, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """The flows of a project (by name), oldest first; unarchived only by default."""
        with self._lock:
            project_ids = {
                p["id"] for p in self._state.projects.values() if p["name"] == project
            }
            rows = [
                dict(row)
                for row in self._state.flows.values()
                if row["project_id"] in project_ids
                and (include_archived or not row["archived"])
            ]
        return sorted(rows, key=lambda row: (row["name"], row["version"]))

    def current_flow(self, project: str, name: str) -> dict[str, Any]:
        """The unarchived flow of that name in the project; KeyError if none."""
        for row in self.flows(project):
            if row["name"] == name:
                return row
        raise KeyError(f"no unarchived flow {name!r} in project {project!r}")

    def flow_group_settings(self, flow_group_id: str) -> dict[str, Any]:
        """The settings of a flow group (where the idempotency key is kept)."""
        with self._lock:
            return dict(self._state.flow_groups[flow_group_id]["settings"])

    def flow_runs(self) -> list[dict[str, Any]]:
        """Every flow run created, oldest first."""
        with self._lock:
            return sorted(
                (dict(row) for row in self._state.flow_runs.values()),
                key=lambda row: row["created"],
            )

    def operations(self, name: str | None = None) -> list[RecordedRequest]:
        """Requests received, all or those of one root field."""
        with self._lock:
            return [r for r in self.requests if name is None or r.operation == name]

    def fail(
        self,
        operation: str,
        *,
        flow_name: str | None = None,
        status: int = 502,
        times: int | None = 1,
        error_message: str | None = None,
    ) -> Fault:
        """Makes matching requests fail (see `Fault`); returns the fault."""
        fault = Fault(operation, flow_name, status, times, error_message)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_requests(self) -> None:
        """Forgets the requests received so far."""
        with self._lock:
            self.requests.clear()

    # -- HTTP -------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            """Answers POSTs of GraphQL documents."""

            # pylint: disable-next=invalid-name  # the name http.server calls
            def do_POST(self) -> None:
                """Runs the GraphQL request of the body and writes the JSON answer."""
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    status, payload = standin.handle(body, dict(self.headers.items()))
                # pylint: disable-next=broad-exception-caught  # any bug is reported
                except Exception as exc:
                    # A bug of the stand-in itself: kept for the test to fail on.
                    standin.internal_errors.append(traceback.format_exc())
                    status, payload = 500, {"errors": [{"message": repr(exc)}]}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            # pylint: disable-next=redefined-builtin  # http.server's signature
            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler

    def handle(
        self, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Runs one GraphQL request; returns the HTTP status and the JSON body."""
        with self._lock:
            request = RecordedRequest("?", "", {}, headers, 400)
            try:
                document = json.loads(body or b"{}")
                request.query = document.get("query") or ""
                variables = document.get("variables") or {}
                if isinstance(variables, str):  # Prefect's client sends a JSON string
                    variables = json.loads(variables) or {}
                request.variables = variables
                request.operation = _root_field(request.query)
            except (ValueError, GraphQLError) as exc:
                status, payload = 400, {"errors": [{"message": str(exc)}]}
            else:
                request.flow_name = self._flow_name_of(request.operation, variables)
                status, payload = self._respond(request)
            request.status = status
            self.requests.append(request)
            return status, payload

    def _respond(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        """Checks the key, plays a matching fault, or runs the request."""
        if self.api_key is not None:
            if request.headers.get("Authorization") != f"Bearer {self.api_key}":
                return 401, {"errors": [{"message": "Unauthorized: invalid API key"}]}
        fault = self._matching_fault(request.operation, request.flow_name)
        if fault is not None and fault.error_message is not None:
            return 200, {"errors": [{"message": fault.error_message}], "data": None}
        if fault is not None:
            return fault.status, {
                "errors": [{"message": f"stand-in fault: {fault.status}"}]
            }

        result = graphql_sync(
            self._schema, request.query, variable_values=request.variables
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        # Like the server: a document it cannot validate is a bad request.
        return (400 if result.errors and result.data is None else 200), payload

    def _matching_fault(self, operation: str, flow_name: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.operation != operation or fault.times == 0:
                continue
            if fault.flow_name is not None and fault.flow_name != flow_name:
                continue
            if fault.times is not None:
                fault.times -= 1
            return fault
        return None

    def _flow_name_of(self, operation: str, variables: dict[str, Any]) -> str | None:
        """The flow a request is about, when it is about one."""
        payload = variables.get("input") or {}
        if operation == "create_flow_from_compressed_string":
            try:
                return _decompress(payload["serialized_flow"]).get("name")
            except Exception:  # pylint: disable=broad-exception-caught  # refused later
                return None
        flow = self._state.flows.get(str(payload.get("flow_id")))
        return flow["name"] if flow else None

    # -- resolvers --------------------------------------------------------------------

    def _attach_resolvers(self) -> None:
        query = self._schema.query_type.fields
        mutation = self._schema.mutation_type.fields
        query["tenant"].resolve = lambda _source, _info, where=None: [
            dict(t)
            for t in self._state.tenants.values()
            if _matches("tenant", t, where)
        ]
        query["auth_info"].resolve = lambda _source, _info: {
            "tenant_id": self.tenant_id,
            "api_token_scope": None,
        }
        query["project"].resolve = self._resolve_projects
        query["flow"].resolve = self._resolve_flows
        query["flow_by_pk"].resolve = lambda _source, _info, id: self._flow_view(
            self._state.flows.get(id)
        )
        query["flow_run"].resolve = self._resolve_flow_runs
        query["flow_run_by_pk"].resolve = (
            lambda _source, _info, id: self._flow_run_view(
                self._state.flow_runs.get(id)
            )
        )
        mutation["create_flow_from_compressed_string"].resolve = (
            lambda _source, _info, input: self._create_flow(
                dict(
                    input, serialized_flow=_decompress_or_fail(input["serialized_flow"])
                )
            )
        )
        mutation["create_flow"].resolve = (
            lambda _source, _info, input: self._create_flow(input)
        )
        mutation["register_tasks"].resolve = (
            lambda _source, _info, input: self._register_part(
                input["flow_id"], "tasks", input["serialized_tasks"]
            )
        )
        mutation["register_edges"].resolve = (
            lambda _source, _info, input: self._register_part(
                input["flow_id"], "edges", input["serialized_edges"]
            )
        )
        mutation["set_schedule_active"].resolve = (
            lambda _source, _info, input: self._set_schedule(input["flow_id"], True)
        )
        mutation["set_schedule_inactive"].resolve = (
            lambda _source, _info, input: self._set_schedule(input["flow_id"], False)
        )
        mutation["archive_flow"].resolve = lambda _source, _info, input: self._archive(
            input["flow_id"]
        )
        mutation["create_flow_run"].resolve = (
            lambda _source, _info, input: self._create_flow_run(input)
        )

    def _resolve_projects(
        self, _source: Any, _info: Any, **arguments: Any
    ) -> list[dict[str, Any]]:
        rows = [
            p
            for p in self._state.projects.values()
            if _matches("project", p, arguments.get("where"))
        ]
        return [dict(row) for row in _select(rows, arguments)]

    def _resolve_flows(
        self, _source: Any, _info: Any, **arguments: Any
    ) -> list[dict[str, Any]]:
        rows = [
            f
            for f in self._state.flows.values()
            if self._flow_matches(f, arguments.get("where"))
        ]
        return [self._flow_view(row) for row in _select(rows, arguments)]

    def _resolve_flow_runs(
        self, _source: Any, _info: Any, **arguments: Any
    ) -> list[dict[str, Any]]:
        rows = [
            r
            for r in self._state.flow_runs.values()
            if _matches("flow_run", r, arguments.get("where"), self._relations())
        ]
        return [self._flow_run_view(row) for row in _select(rows, arguments)]

    def _relations(self) -> dict[str, dict[str, Relation]]:
        return {
            "flow": {
                "project": (
                    "project",
                    lambda row: self._state.projects.get(row["project_id"]),
                ),
                "flow_group": (
                    "flow_group",
                    lambda row: self._state.flow_groups.get(row["flow_group_id"]),
                ),
            },
            "flow_run": {
                "flow": ("flow", lambda row: self._state.flows.get(row["flow_id"]))
            },
        }

    def _flow_matches(self, row: dict[str, Any], where: dict[str, Any] | None) -> bool:
        return _matches("flow", row, where, self._relations())

    def _flow_view(self, row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        view = {
            key: value for key, value in row.items() if key not in ("tasks", "edges")
        }
        view["project"] = dict(self._state.projects[row["project_id"]])
        group = self._state.flow_groups[row["flow_group_id"]]
        view["flow_group"] = {**group, "settings": dict(group["settings"])}
        view["tasks"] = [
            {
                "id": task.get("id") or task["slug"],
                "name": task.get("name"),
                "slug": task["slug"],
                "type": task.get("type"),
                "max_retries": task.get("max_retries"),
            }
            for task in row["tasks"]
        ]
        return view

    def _flow_run_view(self, row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {**row, "flow": self._flow_view(self._state.flows[row["flow_id"]])}

    # -- mutations, after prefect_server.api.flows ----------------------------------------

    def _create_flow(self, payload: dict[str, Any]) -> dict[str, Any]:
        serialized = payload["serialized_flow"]
        _load_flow(
            {
                key: value
                for key, value in serialized.items()
                if key != "reference_tasks"
            }
        )
        project = self._state.projects.get(payload["project_id"])
        if project is None:
            raise GraphQLError("Invalid project.")
        name = serialized.get("name")
        key = payload.get("idempotency_key")

        version_group_id = payload.get("version_group_id")
        if not version_group_id:
            same_name = [
                row
                for row in self._state.flows.values()
                if row["project_id"] == project["id"] and row["name"] == name
            ]
            latest = max(same_name, key=lambda row: row["created"], default=None)
            version_group_id = latest["version_group_id"] if latest else self._new_id()

        group = next(
            (
                g
                for g in self._state.flow_groups.values()
                if g["name"] == version_group_id
            ),
            None,
        )
        if group is None:
            group = {
                "id": self._new_id(),
                "name": version_group_id,
                "tenant_id": self.tenant_id,
                "settings": {
                    "heartbeat_enabled": True,
                    "lazarus_enabled": True,
                    "version_locking_enabled": False,
                    "idempotency_key": key,
                },
                "schedule": None,
                "labels": None,
                "default_parameters": {},
                "description": None,
            }
            self._state.flow_groups[group["id"]] = group
        else:
            last_key = group["settings"].get("idempotency_key")
            if last_key and key and last_key == key:
                current = self._versions(version_group_id, archived=False)
                if current:
                    return {"id": current[-1]["id"]}
            group["settings"]["idempotency_key"] = key

        versions = self._versions(version_group_id)
        flow_id = self._new_id()
        self._state.flows[flow_id] = {
            "id": flow_id,
            "name": name,
            "version": (versions[-1]["version"] if versions else 0) + 1,
            "archived": False,
            "tenant_id": self.tenant_id,
            "project_id": project["id"],
            "flow_group_id": group["id"],
            "version_group_id": version_group_id,
            "is_schedule_active": False,
            "schedule": serialized.get("schedule"),
            "serialized_flow": serialized,
            "run_config": serialized.get("run_config"),
            "storage": serialized.get("storage"),
            "parameters": serialized.get("parameters") or [],
            "core_version": serialized.get("__version__"),
            "description": payload.get("description"),
            "created": self._now(),
            "tasks": list(serialized.get("tasks") or []),
            "edges": list(serialized.get("edges") or []),
        }
        if payload.get("set_schedule_active", True) and serialized.get("schedule"):
            self._set_schedule(flow_id, True)
        for older in self._versions(version_group_id, archived=False):
            if older["id"] != flow_id:
                older["archived"] = True
        return {"id": flow_id}

    def _register_part(self, flow_id: str, part: str, items: Any) -> dict[str, Any]:
        flow = self._state.flows.get(flow_id)
        if flow is None:
            raise GraphQLError(f"Invalid flow id {flow_id!r}.")
        if not isinstance(items, list):
            raise GraphQLError(
                f"serialized_{part} must be a list, got {type(items).__name__}."
            )
        # Registering the same part twice (a retried registration) keeps one copy.
        seen = {json.dumps(item, sort_keys=True) for item in flow[part]}
        flow[part].extend(
            item for item in items if json.dumps(item, sort_keys=True) not in seen
        )
        if part == "edges":
            # The last call of a registration: the whole flow must load.
            _load_flow(
                {
                    **flow["serialized_flow"],
                    "tasks": flow["tasks"],
                    "edges": flow["edges"],
                }
            )
        return {"success": True, "error": None}

    def _set_schedule(self, flow_id: str, active: bool) -> dict[str, Any]:
        flow = self._state.flows.get(flow_id)
        if flow is None:
            return {"success": False, "error": f"Invalid flow id {flow_id!r}."}
        if active:
            required = {p["name"] for p in flow["parameters"] if p.get("required")}
            clocks = (flow["schedule"] or {}).get("clocks") or []
            if (
                flow["schedule"]
                and required
                and not all(
                    required <= set((clock.get("parameter_defaults") or {}))
                    for clock in clocks
                )
            ):
                raise GraphQLError(
                    "Can not schedule a flow that has required parameters."
                )
        flow["is_schedule_active"] = active
        return {"success": True, "error": None}

    def _archive(self, flow_id: str) -> dict[str, Any]:
        flow = self._state.flows.get(flow_id)
        if flow is None:
            return {"success": False, "error": None}
        flow["archived"] = True
        return {"success": True, "error": None}

    def _create_flow_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("flow_id"):
            flow = self._state.flows.get(payload["flow_id"])
        else:
            current = self._versions(
                payload.get("version_group_id") or "", archived=False
            )
            flow = current[-1] if current else None
        if flow is None:
            raise GraphQLError("Invalid flow id or version group id.")
        if flow["archived"]:
            raise GraphQLError(f"Flow {flow['id']} is archived.")
        key = payload.get("idempotency_key")
        for run in self._state.flow_runs.values():
            if key and run["idempotency_key"] == key and run["flow_id"] == flow["id"]:
                return {"id": run["id"]}
        parameters = dict(payload.get("parameters") or {})
        missing = sorted(
            p["name"]
            for p in flow["parameters"]
            if p.get("required") and p["name"] not in parameters
        )
        if missing:
            raise GraphQLError(f"Required parameters were not supplied: {missing}")
        run_id = self._new_id()
        self._state.flow_runs[run_id] = {
            "id": run_id,
            "name": payload.get("flow_run_name")
            or f"run-{len(self._state.flow_runs) + 1}",
            "flow_id": flow["id"],
            "parameters": parameters,
            "labels": payload.get("labels")
            or sorted((flow["run_config"] or {}).get("labels") or []),
            "state": "Scheduled",
            "idempotency_key": key,
            "created": self._now(),
        }
        return {"id": run_id}

    # -- helpers ------------------------------------------------------------------------

    def _versions(
        self, version_group_id: str, *, archived: bool | None = None
    ) -> list[dict[str, Any]]:
        rows = [
            row
            for row in self._state.flows.values()
            if row["version_group_id"] == version_group_id
            and (archived is None or row["archived"] == archived)
        ]
        return sorted(rows, key=lambda row: row["version"])

    def _new_id(self) -> str:
        return str(uuid.uuid4())

    def _now(self) -> str:
        return f"2024-01-01T00:00:00.{next(self._clock):06d}+00:00"


def _root_field(query: str) -> str:
    """The first root field of a GraphQL document, e.g. `create_flow_run`."""
    document = parse(query)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.selection_set.selections[0].name.value
    raise GraphQLError("The document holds no operation.")


def _decompress(value: str) -> dict[str, Any]:
    from prefect.utilities.graphql import decompress

    return decompress(value)


def _decompress_or_fail(value: str) -> dict[str, Any]:
    try:
        return _decompress(value)
    # pylint: disable-next=broad-exception-caught  # as the server does
    except Exception as exc:
        raise GraphQLError("Unable to decompress serialized flow") from exc


def _load_flow(serialized: dict[str, Any]) -> None:
    """Loads a serialized flow with Prefect's FlowSchema; refuses it if that fails."""
    from prefect.serialization.flow import FlowSchema

    try:
        FlowSchema().load(serialized)
    # pylint: disable-next=broad-exception-caught  # reported to the client
    except Exception as exc:
        raise GraphQLError(f"Flow could not be deserialized: {exc!r}") from exc


def _matches(
    table: str,
    row: dict[str, Any],
    where: dict[str, Any] | None,
    relations: dict[str, dict[str, Relation]] | None = None,
) -> bool:
    """Hasura's boolean expressions over one row."""
    return all(
        _holds(table, row, key, condition, relations or {})
        for key, condition in (where or {}).items()
        if condition is not None
    )


def _holds(
    table: str,
    row: dict[str, Any],
    key: str,
    condition: Any,
    relations: dict[str, dict[str, Relation]],
) -> bool:
    """One key of a boolean expression: an operator, a relationship or a column."""
    if key == "_and":
        return all(_matches(table, row, part, relations) for part in condition)
    if key == "_or":
        return any(_matches(table, row, part, relations) for part in condition)
    if key == "_not":
        return not _matches(table, row, condition, relations)
    if key in relations.get(table, {}):
        related_table, follow = relations[table][key]
        related = follow(row)
        return related is not None and _matches(
            related_table, related, condition, relations
        )
    return _compare(row.get(key), condition)


def _compare(value: Any, condition: dict[str, Any]) -> bool:
    checks = {
        "_eq": lambda expected: value == expected,
        "_neq": lambda expected: value != expected,
        "_in": lambda expected: value in expected,
        "_nin": lambda expected: value not in expected,
        "_is_null": lambda expected: (value is None) == expected,
        "_gt": lambda expected: value is not None and value > expected,
        "_gte": lambda expected: value is not None and value >= expected,
        "_lt": lambda expected: value is not None and value < expected,
        "_lte": lambda expected: value is not None and value <= expected,
    }
    return all(
        checks[op](expected)
        for op, expected in condition.items()
        if expected is not None
    )


def _select(
    rows: list[dict[str, Any]], arguments: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Hasura's `order_by`, `offset` and `limit`."""
    ordered = sorted(rows, key=lambda row: row.get("created", ""))
    for order in reversed(arguments.get("order_by") or []):
        for column, direction in reversed(list(order.items())):
            ordered.sort(
                key=methodcaller("get", column), reverse=direction.startswith("desc")
            )
    start = arguments.get("offset") or 0
    limit = arguments.get("limit")
    yield from ordered[start : None if limit is None else start + limit]


def main() -> None:
    """Serves the stand-in until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument(
        "--project",
        action="append",
        help="a project to create (repeatable); default: staging and production",
    )
    parser.add_argument("--api-key", help="require this bearer key on every request")
    arguments = parser.parse_args()
    standin = PrefectServerStandIn(
        tuple(arguments.project or ("staging", "production")),
        api_key=arguments.api_key,
        port=arguments.port,
        host=arguments.host,
    )
    print(f"Prefect Server stand-in at {standin.url}", flush=True)
    try:
        standin.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
