select
    station_id,
    station_name,
    district
from {{ ref('raw_stations') }}
