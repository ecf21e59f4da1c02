{#
  The schema of a model is the dataset folder it lives in (models/<dataset_id>/...).
  On the local warehouse, dev materializations go to <dataset_id>_dev so that dev
  and prod never share a schema; on BigQuery dev and prod are different projects.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set dataset = custom_schema_name if custom_schema_name else node.fqn[1] -%}
    {%- if target.type == 'duckdb' and target.name.endswith('-dev') -%}
        {{ dataset }}_dev
    {%- else -%}
        {{ dataset }}
    {%- endif -%}
{%- endmacro %}
