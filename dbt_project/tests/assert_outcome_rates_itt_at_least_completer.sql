-- Every outcome_rates group has both an ITT and a COMPLETER row, ITT holds at
-- least as many courses, and the numerators agree (responders, remitters and
-- deteriorated courses are completers by definition).
{{ config(tags=['conformance', 'blocking']) }}

with

itt as (

    select * from {{ ref('outcome_rates') }} where denominator = 'ITT'

),

completer as (

    select * from {{ ref('outcome_rates') }} where denominator = 'COMPLETER'

)

select
    coalesce(itt.site_id, completer.site_id) as site_id,
    coalesce(itt.route, completer.route) as route,
    coalesce(itt.indication, completer.indication) as indication,
    itt.n_courses as n_itt,
    completer.n_courses as n_completer

from itt
full outer join completer
    on itt.site_id = completer.site_id
    and itt.route = completer.route
    and itt.indication = completer.indication
where itt.site_id is null
   or completer.site_id is null
   or itt.n_courses < completer.n_courses
   or itt.n_responders <> completer.n_responders
   or itt.n_remitters <> completer.n_remitters
   or itt.n_deteriorated <> completer.n_deteriorated
