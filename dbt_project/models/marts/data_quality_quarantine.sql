-- Quarantined rows per site, month quarantined, entity and reason: the long
-- form of data_quality_monthly.quarantine_reasons, for charts. The site is
-- read from the quarantined row itself (UNKNOWN when it carried none).
with

quarantine as (

    select * from {{ ref('stg_ops__quarantine') }}

),

final as (

    select
        site_id,
        cast({{ dbt.date_trunc('month', 'quarantined_at') }} as date) as month,
        entity,
        reason,
        cast(count(*) as bigint) as n_rows,
        cast(count(distinct file_sha256) as bigint) as n_files

    from quarantine
    group by 1, 2, 3, 4

)

select * from final
