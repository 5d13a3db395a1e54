{% set districts = ['harbour', 'centre', 'north'] %}

with rides as (
    select * from {{ ref('stg_rides') }}
),

stations as (
    select * from {{ ref('stg_stations') }}
)

select
    cast(rides.started_at as date) as ride_date,
    stations.station_id,
    stations.station_name,
    {% for d in districts -%}
    stations.district = '{{ d }}' as is_{{ d }},
    {% endfor -%}
    count(*) as departures,
    sum(rides.fare_cents) as revenue_cents
from rides
join stations on rides.start_station_id = stations.station_id
group by all
