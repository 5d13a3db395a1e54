with rides as (
    select * from {{ ref('stg_rides') }}
),

bikes as (
    select * from {{ ref('stg_bikes') }}
)

select
    bikes.bike_id,
    bikes.bike_model,
    bikes.is_electric,
    count(rides.ride_id) as ride_count,
    coalesce(sum(rides.duration_minutes), 0) as minutes_ridden,
    coalesce(sum(rides.fare_cents), 0) as revenue_cents
from bikes
left join rides on rides.bike_id = bikes.bike_id
group by all
