-- One row saying how current the registry is: the as-of date its outcome
-- definitions are measured against, and when data last arrived.
with

as_of_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

manifest as (

    select * from {{ ref('stg_ops__ingest_manifest') }}

),

loads as (

    select
        max(case when status = 'LOADED' then loaded_at end) as last_loaded_at,
        max(loaded_at) as last_file_seen_at,
        count(case when status = 'LOADED' then 1 end) as n_files_loaded,
        count(case when status like 'REJECTED%' then 1 end) as n_files_rejected,
        sum(case when status = 'LOADED' then rows_quarantined else 0 end) as n_rows_quarantined

    from manifest

),

final as (

    select
        as_of_date.as_of_date,
        loads.last_loaded_at,
        loads.last_file_seen_at,
        cast(loads.n_files_loaded as bigint) as n_files_loaded,
        cast(loads.n_files_rejected as bigint) as n_files_rejected,
        cast(coalesce(loads.n_rows_quarantined, 0) as bigint) as n_rows_quarantined,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as built_at_utc

    from as_of_date
    cross join loads

)

select * from final
