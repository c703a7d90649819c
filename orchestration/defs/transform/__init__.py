"""Transform: the dbt project (dbt_project/) as Dagster assets."""
