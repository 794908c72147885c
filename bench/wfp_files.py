"""Large WFP food-price files for the benchmarks, written deterministically from a seed.

`write_wfp_file(path, iso3=..., rows=...)` writes exactly `rows` data rows of one country in
WFP's current 16-column format (or, with `hxl=True`, the older 14-column one with its row of HXL
tags). `COUNTRIES` holds ten countries WFP publishes: their currency, admin1 units and markets
(real towns, approximate coordinates, market ids unique across all countries); `COMMODITIES`
the forty WFP-style commodities every market may sell. `all_countries_files` writes one file per
country.

The rows are month by month from 2010-01-15, sorted within a month as WFP sorts them (admin1,
market, category, commodity, price type). A file of `rows` rows has about rows / 12 series
(market, commodity, price type, unit) spread over as many markets as possible, at most all of
them, and as many months as that takes, so every (date, market, commodity, pricetype, unit) is
unique; past `capacity(iso3)` rows (about 690,000 to 1,200,000) the months run beyond 2026. Prices follow a dollar price per commodity, the country's exchange rate drifting from its
2010 to its 2026 level, a factor per market and per series, a small seasonal swing and noise;
`usdprice` is the price at that month's rate.

    python -m bench.wfp_files DIRECTORY ROWS   # one file per country, ROWS rows each
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = [
    "COMMODITIES",
    "COUNTRIES",
    "CommoditySpec",
    "CountrySpec",
    "MarketSpec",
    "WfpFileInfo",
    "all_countries_files",
    "capacity",
    "write_wfp_file",
]

HEADER = (
    "date,admin1,admin2,market,market_id,latitude,longitude,category,commodity,commodity_id,"
    "unit,priceflag,pricetype,currency,price,usdprice"
)
OLD_HEADER = (
    "date,admin1,admin2,market,latitude,longitude,category,commodity,unit,priceflag,pricetype,"
    "currency,price,usdprice"
)
HXL_TAGS = (
    "#date,#adm1+name,#adm2+name,#loc+market+name,#geo+lat,#geo+lon,#item+type,#item+name,"
    "#item+unit,#item+price+flag,#item+price+type,#currency,#value,#value+usd"
)
FIRST_YEAR = 2010
# Months from 2010-01 to 2026-10: the span the exchange rates are drawn over.
SPAN_MONTHS = 202
MONTHS_WANTED = 12  # a file has about rows / MONTHS_WANTED series
# Sold at farm-gate prices too (Retail, Wholesale by the sack, Farm Gate).
FARM_GATE = frozenset({"Maize (white)", "Millet", "Rice (local)", "Sorghum (white)", "Wheat"})


@dataclass(frozen=True)
class MarketSpec:
    """A market as WFP names it: its id, town, admin1 (and admin2, often empty), position."""

    market_id: int
    name: str
    admin1: str
    admin2: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class CommoditySpec:
    """A WFP commodity: name, id, category, retail unit, a typical price in US dollars per that
    unit, and the wholesale unit (with its size in retail units) when it is also sold by the sack."""

    name: str
    commodity_id: int
    category: str
    unit: str
    usd_price: float
    wholesale_unit: str | None = None
    wholesale_quantity: float = 0.0


@dataclass(frozen=True)
class CountrySpec:
    """A country of the benchmark files: codes, currency, exchange rates, admin1s and markets."""

    iso3: str
    name: str
    currency: str
    local_per_usd_2010: float
    local_per_usd_2026: float
    admin1: tuple[str, ...]
    markets: tuple[MarketSpec, ...]

    def rate(self, month: int) -> float:
        """Local currency per US dollar `month` months after January 2010 (a geometric drift)."""
        ratio = self.local_per_usd_2026 / self.local_per_usd_2010
        return float(self.local_per_usd_2010 * ratio ** (month / (SPAN_MONTHS - 1)))


@dataclass(frozen=True)
class WfpFileInfo:
    """What `write_wfp_file` wrote."""

    path: Path
    iso3: str
    rows: int
    markets: int
    commodities: int
    series: int
    months: int
    first_date: date
    last_date: date
    bytes: int
    hxl: bool


_MEAT = "meat, fish and eggs"
COMMODITIES: tuple[CommoditySpec, ...] = (
    CommoditySpec("Rice (imported)", 74, "cereals and tubers", "KG", 0.95, "50 KG", 50),
    CommoditySpec("Rice (local)", 71, "cereals and tubers", "KG", 0.80, "50 KG", 50),
    CommoditySpec("Rice (low quality)", 52, "cereals and tubers", "KG", 0.65),
    CommoditySpec("Wheat", 84, "cereals and tubers", "KG", 0.42, "100 KG", 100),
    CommoditySpec("Wheat flour", 58, "cereals and tubers", "KG", 0.58, "50 KG", 50),
    CommoditySpec("Maize (white)", 67, "cereals and tubers", "KG", 0.38, "100 KG", 100),
    CommoditySpec("Maize flour", 360, "cereals and tubers", "KG", 0.52),
    CommoditySpec("Sorghum (white)", 65, "cereals and tubers", "KG", 0.44, "100 KG", 100),
    CommoditySpec("Millet", 62, "cereals and tubers", "KG", 0.50, "100 KG", 100),
    CommoditySpec("Bread", 55, "cereals and tubers", "KG", 1.10),
    CommoditySpec("Cassava flour", 88, "cereals and tubers", "KG", 0.48),
    CommoditySpec("Potatoes", 83, "cereals and tubers", "KG", 0.55),
    CommoditySpec("Pasta", 143, "cereals and tubers", "KG", 1.30),
    CommoditySpec("Beans (kidney red)", 149, "pulses and nuts", "KG", 1.55),
    CommoditySpec("Beans (white)", 103, "pulses and nuts", "KG", 1.45),
    CommoditySpec("Lentils", 78, "pulses and nuts", "KG", 1.35, "50 KG", 50),
    CommoditySpec("Chickpeas", 227, "pulses and nuts", "KG", 1.50),
    CommoditySpec("Groundnuts (shelled)", 122, "pulses and nuts", "KG", 1.60),
    CommoditySpec("Cowpeas", 139, "pulses and nuts", "KG", 1.05),
    CommoditySpec("Oil (vegetable)", 94, "oil and fats", "L", 1.90),
    CommoditySpec("Oil (palm)", 96, "oil and fats", "L", 1.55),
    CommoditySpec("Ghee (vegetable)", 158, "oil and fats", "KG", 2.40),
    CommoditySpec("Meat (chicken)", 186, _MEAT, "KG", 3.40),
    CommoditySpec("Meat (goat)", 219, _MEAT, "KG", 6.20),
    CommoditySpec("Meat (beef)", 184, _MEAT, "KG", 6.50),
    CommoditySpec("Fish (dry)", 271, _MEAT, "KG", 4.80),
    CommoditySpec("Eggs", 92, _MEAT, "30 pcs", 3.60),
    CommoditySpec("Milk (powder)", 119, "milk and dairy", "KG", 6.10),
    CommoditySpec("Milk (fresh)", 118, "milk and dairy", "L", 0.95),
    CommoditySpec("Onions", 151, "vegetables and fruits", "KG", 0.85),
    CommoditySpec("Tomatoes", 114, "vegetables and fruits", "KG", 0.95),
    CommoditySpec("Sugar", 97, "miscellaneous food", "KG", 0.95, "50 KG", 50),
    CommoditySpec("Salt", 105, "miscellaneous food", "KG", 0.35),
    CommoditySpec("Tea", 161, "miscellaneous food", "500 G", 2.90),
    CommoditySpec("Fuel (diesel)", 280, "non-food", "L", 1.05),
    CommoditySpec("Fuel (petrol-gasoline)", 281, "non-food", "L", 1.15),
    CommoditySpec("Fuel (kerosene)", 283, "non-food", "L", 0.95),
    CommoditySpec("Fuel (gas)", 282, "non-food", "12.5 KG", 13.50),
    CommoditySpec("Charcoal", 253, "non-food", "KG", 0.40),
    CommoditySpec("Soap", 294, "non-food", "pcs", 0.45),
)

# One line per admin1: "Admin1: Town lat lon; Town lat lon; ...". Coordinates are approximate.
_YEM = """
Amanat Al Asimah: Sana'a City 15.354 44.207; Ma'ain 15.360 44.180; Al Sabeen 15.310 44.200
Sana'a: Bani Hushaysh 15.400 44.350; Sanhan 15.250 44.270; Hamdan 15.470 44.130; Manakhah 15.070 43.740
Aden: Aden 12.785 45.018; Crater 12.780 45.030; Al Mansura 12.860 44.980; Sheikh Othman 12.870 45.010
Taiz: Taiz City 13.579 44.021; At Turbah 13.213 44.124; Al Mokha 13.320 43.250; Mawiyah 13.600 44.370; At Ta'iziyah 13.650 44.000
Ibb: Ibb 13.967 44.183; Yarim 14.298 44.378; Jiblah 13.920 44.150; Al Qa'idah 13.770 44.130; Al Udayn 13.980 43.930
Al Hodeidah: Al Hodeidah City 14.798 42.954; Bajil 15.060 43.280; Zabid 14.196 43.315; Bayt al Faqih 14.520 43.320; Al Marawi'ah 14.800 43.120; Al Khawkhah 13.810 43.240; Az Zaydiyah 15.330 43.020
Hajjah: Hajjah City 15.694 43.605; Abs 16.000 43.200; Haradh 16.430 43.080; Midi 16.320 42.800
Amran: Amran 15.659 43.944; Khamir 15.987 43.950; Huth 16.200 43.960; Raydah 15.820 44.040
Dhamar: Dhamar 14.543 44.405; Jahran 14.720 44.370; Utmah 14.420 44.000; Wusab 14.300 43.900
Sa'ada: Sa'ada City 16.940 43.760; Majz 16.800 43.630; Razih 16.950 43.350; Haydan 16.800 43.500
Al Jawf: Al Hazm 16.165 44.778; Al Matammah 16.270 44.540; Khab wa Ash Sha'f 16.700 45.300
Marib: Marib City 15.462 45.326; Harib 14.930 45.500; Sirwah 15.430 45.020
Al Bayda: Al Bayda City 13.985 45.573; Rada'a 14.410 44.840; Mukayras 13.940 45.670
Al Dhale'e: Ad Dali' 13.696 44.731; Qa'tabah 13.850 44.700; Damt 14.080 44.700
Lahj: Al Hawtah 13.050 44.880; Al Habilayn 13.580 44.980; Tur Al Bahah 12.950 44.280; Al Musaymir 13.300 44.660
Abyan: Zinjibar 13.130 45.380; Ja'ar 13.220 45.300; Lawdar 13.880 45.870; Mudiyah 13.920 46.100
Shabwah: Ataq 14.537 46.831; Bayhan 14.800 45.720; Azzan 14.170 47.180; Nisab 14.520 46.320
Hadramawt: Al Mukalla 14.542 49.125; Sayun 15.943 48.789; Tarim 16.056 49.000; Shibam 15.927 48.627; Ash Shihr 14.760 49.610; Al Qatn 15.830 48.450
Al Maharah: Al Ghaydah 16.207 52.176; Sayhut 15.210 51.240; Hawf 16.640 53.050
Al Mahwit: Al Mahwit 15.470 43.540; Shibam Kawkaban 15.490 43.900; At Tawilah 15.450 43.730
Raymah: Al Jabin 14.700 43.600; Kusmah 14.620 43.550
Socotra: Hadibu 12.650 54.020; Qalansiyah 12.680 53.490
"""

_SYR = """
Damascus: Damascus 33.513 36.292; Al-Midan 33.490 36.300; Bab Touma 33.512 36.316
Rural Damascus: Douma 33.572 36.402; Jaramana 33.486 36.346; Qudsiya 33.530 36.240; Al-Tall 33.610 36.310; Yabroud 33.967 36.658; An-Nabk 34.020 36.730; Qatana 33.430 36.080; Al-Kiswah 33.360 36.240; Zabadani 33.720 36.100
Aleppo: Aleppo 36.202 37.134; Azaz 36.586 37.046; Al-Bab 36.370 37.520; Manbij 36.528 37.955; Afrin 36.510 36.870; Jarablus 36.820 38.010; As-Safira 36.070 37.370; Ain al-Arab 36.890 38.360; Atareb 36.140 36.830; Mare' 36.480 37.080
Idleb: Idleb 35.930 36.630; Maarrat An-Nu'man 35.650 36.670; Ariha 35.810 36.610; Jisr-Ash-Shugur 35.810 36.320; Harim 36.210 36.520; Sarmada 36.180 36.720; Dana 36.210 36.770; Salqin 36.140 36.450; Saraqab 35.860 36.800; Kafr Takharim 36.110 36.510
Hama: Hama 35.132 36.750; Salamiyeh 35.010 37.050; Masyaf 35.065 36.340; Suqaylabiyah 35.370 36.390; Muhardeh 35.250 36.570; Kafr Zeita 35.370 36.600
Homs: Homs 34.730 36.710; Tadmor 34.560 38.270; Al-Qusayr 34.510 36.580; Talkalakh 34.670 36.260; Ar-Rastan 34.930 36.730; Al-Mukharram 34.820 37.070
Lattakia: Lattakia 35.520 35.780; Jableh 35.360 35.930; Al-Haffa 35.600 36.030; Qardaha 35.450 36.060
Tartous: Tartous 34.890 35.890; Banias 35.180 35.940; Safita 34.820 36.120; Dreikish 34.900 36.130; Sheikh Badr 34.990 36.080
Dar'a: Dar'a 32.620 36.100; Izra' 32.860 36.250; As-Sanamayn 33.070 36.180; Busra Esh-Sham 32.520 36.480; Nawa 32.890 36.040; Jasim 32.990 36.060
As-Sweida: As-Sweida 32.710 36.570; Shahba 32.850 36.630; Salkhad 32.490 36.710
Quneitra: Khan Arnaba 33.180 35.890; Jubata al-Khashab 33.242 35.839
Deir-ez-Zor: Deir-ez-Zor 35.336 40.140; Al-Mayadin 35.020 40.450; Al-Bukamal 34.450 40.920; Hajin 34.690 40.830
Ar-Raqqa: Ar-Raqqa 35.950 39.010; Tabqa 35.830 38.550; Tell Abiad 36.690 38.950; Ein Issa 36.380 38.860
Al-Hasakeh: Al-Hasakeh 36.500 40.750; Qamishli 37.050 41.230; Ras Al Ain 36.850 40.070; Al-Malikiyah 37.170 42.140; Amuda 37.100 40.930; Ash-Shaddadah 36.060 40.730
"""

_SDN = """
Khartoum: Khartoum 15.500 32.560; Omdurman 15.640 32.480; Bahri 15.640 32.530; Jebel Aulia 15.240 32.500
Gezira: Wad Madani 14.400 33.520; Al Hasaheisa 14.750 33.300; Al Managil 14.250 32.990; Rufa'a 14.770 33.360; Al Kamlin 15.070 33.180
Gedaref: Gedaref 14.030 35.380; Doka 13.520 35.770; Galabat 12.960 36.150; Al Showak 14.400 35.850
Kassala: Kassala 15.450 36.400; New Halfa 15.330 35.600; Aroma 15.820 36.150; Wad el Hilew 14.730 36.180
Red Sea: Port Sudan 19.615 37.216; Tokar 18.430 37.730; Sinkat 18.840 36.830; Haya 18.340 36.380
River Nile: Atbara 17.700 33.980; Ad Damer 17.590 33.960; Shendi 16.690 33.430; Berber 18.020 33.980; Abu Hamad 19.540 33.330
Northern: Dongola 19.170 30.470; Merowe 18.480 31.820; Wadi Halfa 21.800 31.350; Karima 18.550 31.850; Al Dabbah 18.050 30.950
White Nile: Kosti 13.160 32.660; Rabak 13.180 32.740; Ed Dueim 13.990 32.310; Al Jabalain 12.590 32.800; Tendalti 13.020 31.870
Sennar: Sennar 13.550 33.610; Sinja 13.150 33.930; Ad Dinder 13.340 34.190; Abu Hugar 12.430 33.930
Blue Nile: Ad Damazin 11.790 34.360; Ar Roseires 11.850 34.390; Kurmuk 10.550 34.280; Geissan 10.800 34.810
North Kordofan: El Obeid 13.180 30.220; Um Ruwaba 12.910 31.220; Bara 13.700 30.370; Er Rahad 12.720 30.650; Sodari 14.420 29.080
South Kordofan: Kadugli 11.010 29.720; Dilling 12.050 29.650; Abu Jubaiha 11.460 31.230; Talodi 10.630 30.380; Kauda 11.100 30.500
West Kordofan: Al Fula 11.710 28.350; En Nahud 12.700 28.430; Babanusa 11.330 27.810; Al Muglad 11.030 27.740
North Darfur: El Fasher 13.630 25.350; Kutum 14.200 24.660; Mellit 14.130 25.550; Kabkabiya 13.650 24.090; Tawila 13.500 24.860; Um Kaddada 13.600 26.690
South Darfur: Nyala 12.050 24.880; Kass 12.500 24.290; Tulus 11.020 24.510; Buram 10.820 25.160; Gereida 11.280 25.140
East Darfur: Ed Daein 11.460 26.130; Abu Karinka 11.920 26.380; Adila 11.130 26.420
West Darfur: El Geneina 13.450 22.440; Kereneik 13.420 22.710; Foro Baranga 12.030 22.970; Kulbus 14.280 22.430
Central Darfur: Zalingei 12.910 23.470; Nertiti 12.880 24.040; Mukjar 11.980 23.300; Garsila 12.380 23.130
"""

_AFG = """
Kabul: Kabul 34.530 69.170; Paghman 34.590 68.950; Surobi 34.590 69.760
Badakhshan: Fayzabad 37.120 70.580; Ishkashim 36.710 71.610; Jurm 36.860 70.840
Badghis: Qala-e-Naw 34.990 63.130; Bala Murghab 35.580 63.330
Baghlan: Pul-e-Khumri 35.940 68.710; Baghlan 36.130 68.700; Nahrin 36.060 69.130
Balkh: Mazar-e-Sharif 36.710 67.110; Balkh 36.760 66.900; Hairatan 37.220 67.420; Shulgara 36.320 66.870
Bamyan: Bamyan 34.820 67.830; Yakawlang 34.730 66.970; Panjab 34.390 67.020
Daykundi: Nili 33.720 66.130; Khadir 33.980 65.940
Farah: Farah 32.370 62.110; Bala Buluk 32.630 62.470; Anar Dara 32.760 61.650
Faryab: Maymana 35.920 64.780; Andkhoy 36.950 65.120; Dawlatabad 36.430 64.920
Ghazni: Ghazni 33.550 68.420; Muqur 32.870 67.790; Jaghori 33.140 67.450
Ghor: Chaghcharan 34.520 65.250; Shahrak 34.100 64.300
Helmand: Lashkar Gah 31.590 64.370; Gereshk 31.820 64.570; Musa Qala 32.450 64.760; Sangin 32.070 64.840
Herat: Herat 34.350 62.200; Islam Qala 34.660 61.070; Ghoryan 34.340 61.490; Shindand 33.300 62.140; Karukh 34.480 62.590
Jawzjan: Sheberghan 36.670 65.750; Aqcha 36.910 66.190
Kandahar: Kandahar 31.610 65.710; Spin Boldak 31.000 66.400; Panjwayi 31.550 65.460
Kapisa: Mahmud-e-Raqi 35.020 69.340; Nijrab 35.020 69.620
Khost: Khost 33.340 69.920; Tani 33.250 69.820
Kunar: Asadabad 34.870 71.150; Asmar 35.030 71.360
Kunduz: Kunduz 36.730 68.860; Imam Sahib 37.180 68.920; Khanabad 36.680 69.120
Laghman: Mehtarlam 34.670 70.210; Alingar 34.840 70.360
Logar: Pul-e-Alam 33.990 69.020; Mohammad Agha 34.210 69.150
Nangarhar: Jalalabad 34.430 70.450; Torkham 34.110 71.090; Achin 34.130 70.700; Bati Kot 34.260 70.770
Nimroz: Zaranj 30.960 61.860; Chahar Burjak 30.290 62.080
Nuristan: Parun 35.420 70.930; Barg-e-Matal 35.670 71.350
Paktika: Sharana 33.140 68.750; Urgun 32.940 69.180
Paktya: Gardez 33.600 69.220; Zurmat 33.440 69.030; Chamkani 33.800 69.810
Panjsher: Bazarak 35.310 69.520; Rukha 35.220 69.460
Parwan: Charikar 35.010 69.170; Bagram 34.970 69.290; Jabal Saraj 35.120 69.240
Samangan: Aybak 36.260 68.020; Hazrat Sultan 36.380 67.900
Sar-e-Pul: Sar-e-Pul 36.220 65.930; Sancharak 35.980 66.200
Takhar: Taloqan 36.740 69.530; Rustaq 37.130 69.830; Farkhar 36.570 69.860
Uruzgan: Tirinkot 32.630 65.870; Dehrawud 32.620 65.450
Wardak: Maidan Shahr 34.400 68.870; Jalrez 34.470 68.660
Zabul: Qalat 32.110 66.900; Shahjoy 32.520 67.420
"""

_MMR = """
Yangon: Yangon 16.841 96.174; Hlaingtharya 16.870 96.060; Thanlyin 16.770 96.250; Hmawbi 17.110 96.060; Twantay 16.710 95.930
Mandalay: Mandalay 21.959 96.089; Meiktila 20.880 95.860; Pyin Oo Lwin 22.030 96.460; Myingyan 21.460 95.390; Kyaukse 21.610 96.130; Nyaung-U 21.200 94.910
Nay Pyi Taw: Nay Pyi Taw 19.750 96.130; Pyinmana 19.740 96.210
Sagaing: Sagaing 21.880 95.980; Monywa 22.110 95.140; Shwebo 22.570 95.700; Kalay 23.190 94.050; Katha 24.180 96.330; Hkamti 25.990 95.690; Tamu 24.220 94.310
Magway: Magway 20.150 94.930; Pakokku 21.330 95.080; Minbu 20.180 94.880; Thayet 19.320 95.180; Gangaw 22.170 94.130
Bago (East): Bago 17.340 96.480; Taungoo 18.940 96.430; Nyaunglebin 17.950 96.730
Bago (West): Pyay 18.820 95.220; Letpadan 17.790 95.750; Tharrawaddy 17.650 95.790
Ayeyarwady: Pathein 16.780 94.730; Hinthada 17.650 95.460; Myaungmya 16.590 94.930; Maubin 16.730 95.650; Labutta 16.150 94.760; Bogale 16.290 95.400
Mon: Mawlamyine 16.490 97.630; Thaton 16.920 97.370; Kyaikto 17.310 97.010; Ye 15.250 97.860
Kayin: Hpa-An 16.890 97.630; Myawaddy 16.690 98.510; Kawkareik 16.560 98.240
Kayah: Loikaw 19.670 97.210; Demoso 19.550 97.130
Tanintharyi: Dawei 14.080 98.190; Myeik 12.440 98.600; Kawthoung 9.980 98.550
Rakhine: Sittwe 20.146 92.898; Kyaukpyu 19.430 93.550; Mrauk-U 20.590 93.190; Maungdaw 20.820 92.370; Buthidaung 20.870 92.530; Thandwe 18.460 94.370; Minbya 20.360 93.270
Chin: Hakha 22.650 93.610; Falam 22.910 93.680; Tedim 23.370 93.670; Mindat 21.370 93.970; Matupi 21.600 93.440
Kachin: Myitkyina 25.380 97.400; Bhamo 24.260 97.230; Putao 27.330 97.420; Hpakant 25.610 96.310; Waingmaw 25.350 97.430
Shan (North): Lashio 22.936 97.750; Muse 23.990 97.900; Kyaukme 22.540 97.030; Hsipaw 22.620 97.300; Kutkai 23.450 97.930
Shan (South): Taunggyi 20.790 97.040; Kalaw 20.630 96.560; Nyaungshwe 20.660 96.930; Loilem 20.920 97.550
Shan (East): Kengtung 21.290 99.610; Tachileik 20.450 99.880; Mong La 21.680 101.040
"""

_HTI = """
Ouest: Port-au-Prince 18.540 -72.340; Pétion-Ville 18.510 -72.290; Delmas 18.550 -72.300; Carrefour 18.540 -72.400; Croix-des-Bouquets 18.580 -72.230; Léogâne 18.510 -72.630; Petit-Goâve 18.430 -72.870; Grand-Goâve 18.430 -72.770; Arcahaie 18.770 -72.510; Cabaret 18.730 -72.420; Kenscoff 18.450 -72.290; Gressier 18.540 -72.530; Ganthier 18.530 -72.070; Fonds-Verrettes 18.400 -71.860; Thomazeau 18.650 -72.090; Anse-à-Galets 18.830 -72.870
Artibonite: Gonaïves 19.450 -72.690; Saint-Marc 19.110 -72.700; Dessalines 19.260 -72.520; Verrettes 19.050 -72.470; Petite-Rivière-de-l'Artibonite 19.130 -72.480; L'Estère 19.330 -72.610; Gros-Morne 19.670 -72.680; Ennery 19.480 -72.480; Marmelade 19.520 -72.360; Anse-Rouge 19.630 -73.050; Terre-Neuve 19.600 -72.780; Saint-Michel-de-l'Attalaye 19.370 -72.330
Centre: Hinche 19.150 -72.010; Mirebalais 18.830 -72.100; Lascahobas 18.830 -71.940; Belladère 18.860 -71.780; Thomassique 19.080 -71.840; Cerca-la-Source 19.170 -71.790; Pignon 19.340 -72.120; Maïssade 19.170 -72.130
Nord: Cap-Haïtien 19.760 -72.200; Limbé 19.710 -72.400; Plaisance 19.600 -72.470; Borgne 19.850 -72.530; Limonade 19.670 -72.130; Milot 19.610 -72.210; Grande-Rivière-du-Nord 19.580 -72.170; Dondon 19.530 -72.240; Saint-Raphaël 19.440 -72.200; Acul-du-Nord 19.700 -72.320
Nord-Est: Fort-Liberté 19.660 -71.840; Ouanaminthe 19.550 -71.730; Trou-du-Nord 19.630 -72.020; Terrier-Rouge 19.630 -71.950; Vallières 19.430 -71.920
Nord-Ouest: Port-de-Paix 19.940 -72.830; Saint-Louis-du-Nord 19.930 -72.720; Jean-Rabel 19.850 -73.190; Môle-Saint-Nicolas 19.800 -73.380; Bombardopolis 19.690 -73.340; Anse-à-Foleur 19.900 -72.620
Sud: Les Cayes 18.190 -73.750; Aquin 18.280 -73.390; Saint-Louis-du-Sud 18.260 -73.550; Cavaillon 18.300 -73.650; Camp-Perrin 18.320 -73.860; Torbeck 18.160 -73.810; Port-Salut 18.080 -73.920; Côteaux 18.200 -74.030; Tiburon 18.330 -74.400; Chardonnières 18.270 -74.170
Grand'Anse: Jérémie 18.650 -74.110; Anse-d'Hainault 18.490 -74.450; Dame-Marie 18.560 -74.420; Abricots 18.650 -74.310; Corail 18.570 -73.890; Pestel 18.540 -73.790; Beaumont 18.480 -73.950
Nippes: Miragoâne 18.440 -73.090; Anse-à-Veau 18.500 -73.350; Baradères 18.480 -73.640; L'Asile 18.380 -73.410; Petit-Trou-de-Nippes 18.530 -73.510
Sud-Est: Jacmel 18.230 -72.540; Bainet 18.180 -72.750; Marigot 18.230 -72.320; Belle-Anse 18.240 -72.070; Cayes-Jacmel 18.230 -72.390; Thiotte 18.250 -71.840
"""

_SSD = """
Central Equatoria: Juba 4.850 31.580; Konyo Konyo 4.840 31.610; Gudele 4.870 31.550; Yei 4.090 30.680; Kajo-Keji 3.850 31.660; Morobo 3.690 30.780; Terekeka 5.440 31.750; Lainya 4.350 30.980
Eastern Equatoria: Torit 4.410 32.570; Kapoeta 4.770 33.590; Magwi 4.130 32.300; Nimule 3.600 32.060; Ikotos 4.080 33.110; Chukudum 4.250 33.450; Lafon 5.050 32.490
Jonglei: Bor 6.210 31.560; Akobo 7.780 33.000; Ayod 8.120 31.420; Waat 7.770 32.140; New Fangak 9.060 30.870; Lankien 8.520 32.050
Pibor Administrative Area: Pibor 6.800 33.130; Gumuruk 6.650 32.900
Lakes: Rumbek 6.810 29.680; Yirol 6.550 30.500; Cueibet 7.030 29.130; Mingkaman 6.080 31.390; Wulu 6.260 29.210
Northern Bahr el Ghazal: Aweil 8.770 27.400; Gok Machar 9.230 26.740; Nyamlel 9.070 27.060; Malualkon 8.800 27.750; Wanyjok 8.970 27.500
Unity: Bentiu 9.230 29.830; Rubkona 9.270 29.790; Leer 8.300 30.140; Mayom 9.220 29.180; Koch 8.600 29.980; Nyal 8.090 30.180
Ruweng Administrative Area: Pariang 9.910 29.980; Abiemnom 9.550 28.780
Upper Nile: Malakal 9.530 31.660; Renk 11.750 32.810; Nasir 8.600 33.070; Bunj 9.980 33.780; Kodok 9.890 32.120; Melut 10.440 32.200
Warrap: Kuajok 8.310 27.980; Tonj 7.270 28.680; Gogrial 8.530 28.100; Turalei 9.070 28.430
Western Bahr el Ghazal: Wau 7.700 27.990; Raja 8.460 25.680; Deim Zubeir 7.720 26.220
Western Equatoria: Yambio 4.570 28.400; Maridi 4.920 29.470; Tambura 5.600 27.470; Nzara 4.640 28.260; Mundri 5.350 30.320; Ezo 5.050 27.770; Ibba 4.790 29.140
Abyei Administrative Area: Abyei 9.600 28.440; Agok 9.360 28.580
"""

_SOM = """
Banadir: Bakara 2.050 45.320; Hamar Weyne 2.030 45.340; Hodan 2.030 45.300
Awdal: Borama 9.940 43.180; Zeila 11.350 43.470; Lughaya 10.680 43.940
Woqooyi Galbeed: Hargeisa 9.560 44.060; Gabiley 9.700 43.630; Berbera 10.440 45.010
Togdheer: Burao 9.520 45.530; Oodweyne 9.410 45.060; Sheikh 9.930 45.190
Sool: Las Anod 8.480 47.360; Taleh 9.150 48.420; Ainabo 8.950 46.450
Sanaag: Erigavo 10.620 47.370; Badhan 10.710 48.330; Las Qoray 11.160 48.200
Bari: Bosaso 11.280 49.180; Qardho 9.500 49.090; Iskushuban 10.280 50.230; Alula 11.960 50.750; Bandarbeyla 9.490 50.810
Nugaal: Garowe 8.410 48.480; Eyl 7.980 49.820; Burtinle 7.840 48.370
Mudug: Galkayo 6.770 47.430; Hobyo 5.350 48.530; Goldogob 6.920 47.060; Jariban 7.210 48.810; Harardhere 4.650 47.860
Galgaduud: Dhusamareb 5.540 46.390; Abudwak 6.150 46.390; Adado 6.140 46.620; Guriel 5.310 46.050
Hiraan: Beledweyne 4.740 45.200; Bulo Burto 3.850 45.570; Jalalaqsi 3.380 45.600
Middle Shabelle: Jowhar 2.780 45.500; Balcad 2.360 45.390; Adale 2.750 46.320; Mahaday 3.000 45.530
Lower Shabelle: Afgoye 2.140 45.120; Marka 1.720 44.770; Baraawe 1.110 44.030; Qoryoley 1.790 44.530; Wanlaweyn 2.620 44.890; Kurtunwarey 1.610 44.330
Bay: Baidoa 3.120 43.650; Burhakaba 2.800 44.080; Dinsoor 2.410 42.980; Qansax Dheere 2.650 43.230
Bakool: Hudur 4.120 43.890; Wajid 3.810 43.250; Tiyeglow 4.020 44.510; Rab Dhuure 4.290 43.900
Gedo: Garbaharey 3.330 42.220; Luuq 3.800 42.540; Bardhere 2.340 42.280; Doolow 4.160 42.080; Beled Hawo 3.930 41.870; El Wak 2.810 41.010
Middle Juba: Bu'aale 1.080 42.580; Jilib 0.490 42.770; Saakow 1.630 42.430
Lower Juba: Kismayo -0.360 42.550; Afmadow 0.520 42.070; Jamaame 0.070 42.750; Dhobley 0.410 41.010
"""

_NGA = """
Abia: Aba 5.110 7.370; Umuahia 5.530 7.490
Adamawa: Yola 9.210 12.480; Mubi 10.270 13.260; Ganye 8.430 12.070
Akwa Ibom: Uyo 5.040 7.910; Ikot Ekpene 5.180 7.710
Anambra: Onitsha 6.150 6.790; Awka 6.210 7.070; Nnewi 6.020 6.920
Bauchi: Bauchi 10.310 9.840; Azare 11.680 10.190; Misau 11.310 10.470
Bayelsa: Yenagoa 4.920 6.260
Benue: Makurdi 7.730 8.520; Gboko 7.320 9.000; Otukpo 7.190 8.130
Borno: Maiduguri 11.850 13.160; Biu 10.610 12.190; Monguno 12.670 13.610; Bama 11.520 13.690; Dikwa 12.040 13.920; Gwoza 11.080 13.690; Damboa 11.150 12.760; Konduga 11.650 13.420
Cross River: Calabar 4.960 8.330; Ikom 5.960 8.710; Ogoja 6.660 8.800
Delta: Warri 5.520 5.750; Asaba 6.200 6.730
Ebonyi: Abakaliki 6.320 8.110
Edo: Benin City 6.340 5.630; Auchi 7.070 6.270
Ekiti: Ado-Ekiti 7.620 5.220
Enugu: Enugu 6.440 7.490; Nsukka 6.860 7.400
Federal Capital Territory: Wuse 9.070 7.470; Gwagwalada 8.940 7.080
Gombe: Gombe 10.290 11.170; Kumo 10.050 11.210; Billiri 9.860 11.220
Imo: Owerri 5.480 7.030; Orlu 5.800 7.040
Jigawa: Dutse 11.760 9.340; Hadejia 12.450 10.040; Gumel 12.630 9.390; Maigatari 12.810 9.450
Kaduna: Kaduna 10.520 7.440; Zaria 11.090 7.720; Giwa 11.270 7.420; Kafanchan 9.580 8.290; Saminaka 10.410 8.690
Kano: Dawanau 12.080 8.480; Singer 12.000 8.520; Wudil 11.810 8.850; Bichi 12.230 8.240
Katsina: Katsina 12.990 7.600; Funtua 11.520 7.310; Daura 13.030 8.320; Jibia 13.090 7.230; Malumfashi 11.790 7.620
Kebbi: Birnin Kebbi 12.450 4.200; Argungu 12.740 4.520; Jega 12.220 4.380; Yelwa 10.840 4.740
Kogi: Lokoja 7.800 6.740; Anyigba 7.490 7.170; Okene 7.550 6.240
Kwara: Ilorin 8.500 4.550; Offa 8.150 4.720
Lagos: Mile 12 6.610 3.400; Oyingbo 6.480 3.380; Ikorodu 6.620 3.510
Nasarawa: Lafia 8.490 8.520; Keffi 8.850 7.870; Akwanga 8.910 8.400
Niger: Minna 9.610 6.560; Bida 9.080 6.010; Kontagora 10.400 5.470; Suleja 9.180 7.180
Ogun: Abeokuta 7.160 3.350; Ijebu-Ode 6.820 3.920
Ondo: Akure 7.250 5.200; Ondo 7.100 4.840
Osun: Osogbo 7.770 4.560; Ile-Ife 7.480 4.560
Oyo: Bodija 7.430 3.910; Ogbomosho 8.130 4.240; Saki 8.670 3.390
Plateau: Jos 9.900 8.860; Bukuru 9.790 8.870; Pankshin 9.330 9.440
Rivers: Port Harcourt 4.820 7.030; Bori 4.670 7.370
Sokoto: Sokoto 13.060 5.240; Illela 13.730 5.300; Tambuwal 12.400 4.650; Gwadabawa 13.360 5.230
Taraba: Jalingo 8.890 11.360; Wukari 7.870 9.780; Takum 7.260 9.980
Yobe: Damaturu 11.750 11.960; Potiskum 11.710 11.080; Gashua 12.870 11.050; Geidam 12.890 11.930; Nguru 12.880 10.450
Zamfara: Gusau 12.160 6.660; Kaura Namoda 12.590 6.590; Talata Mafara 12.570 6.070; Tsafe 11.960 6.920
"""

_COD = """
Kinshasa: Kinshasa -4.320 15.310; Masina -4.380 15.390; Ngaliema -4.370 15.250
Kongo-Central: Matadi -5.820 13.460; Boma -5.850 13.050; Mbanza-Ngungu -5.250 14.860; Kimpese -5.550 14.430; Muanda -5.930 12.350
Kwango: Kenge -4.810 16.900; Kasongo-Lunda -6.480 16.820
Kwilu: Kikwit -5.040 18.820; Bandundu -3.320 17.380; Bulungu -4.550 18.600; Idiofa -4.960 19.590
Mai-Ndombe: Inongo -1.940 18.270; Nioki -2.720 17.680; Kutu -2.730 18.130
Equateur: Mbandaka 0.050 18.260; Bikoro -0.750 18.120; Basankusu 1.220 19.800
Sud-Ubangi: Gemena 3.260 19.770; Libenge 3.650 18.630; Zongo 4.340 18.600
Nord-Ubangi: Gbadolite 4.280 21.000; Businga 3.340 20.870; Mobayi-Mbongo 4.300 21.180
Mongala: Lisala 2.150 21.510; Bumba 2.190 22.460
Tshuapa: Boende -0.220 20.860; Ikela -1.180 23.270
Tshopo: Kisangani 0.520 25.190; Isangi 0.770 24.270; Ubundu -0.350 25.490
Bas-Uele: Buta 2.790 24.730; Aketi 2.740 23.780
Haut-Uele: Isiro 2.770 27.620; Dungu 3.620 28.560; Faradje 3.740 29.710; Watsa 3.040 29.540
Ituri: Bunia 1.570 30.250; Mahagi 2.310 30.990; Aru 2.870 30.840; Mambasa 1.360 29.050; Djugu 1.920 30.500
Nord-Kivu: Goma -1.680 29.220; Butembo 0.140 29.290; Beni 0.490 29.470; Rutshuru -1.180 29.450; Masisi -1.400 28.820; Walikale -1.420 28.050; Lubero -0.160 29.240
Sud-Kivu: Bukavu -2.510 28.860; Uvira -3.400 29.140; Kamituga -3.060 28.180; Baraka -4.100 29.090; Walungu -2.630 28.670; Shabunda -2.690 27.340; Fizi -4.300 28.940
Maniema: Kindu -2.950 25.920; Kasongo -4.450 26.660; Kibombo -3.900 25.920; Punia -1.470 26.450
Tanganyika: Kalemie -5.930 29.200; Kongolo -5.380 27.000; Manono -7.300 27.400; Moba -7.040 29.780; Nyunzu -5.950 28.020
Haut-Lomami: Kamina -8.740 25.000; Kabongo -7.330 25.580; Malemba-Nkulu -8.030 26.810; Bukama -9.200 25.850
Lualaba: Kolwezi -10.710 25.470; Fungurume -10.570 26.300; Dilolo -10.700 22.330
Haut-Katanga: Lubumbashi -11.660 27.480; Likasi -10.980 26.730; Kasumbalesa -12.260 27.800; Kipushi -11.760 27.250; Pweto -8.470 28.900; Kasenga -10.370 28.630
Lomami: Kabinda -6.130 24.480; Mwene-Ditu -7.000 23.450; Lubao -5.390 25.750
Kasai-Oriental: Mbuji-Mayi -6.140 23.590; Tshilenge -6.240 23.770; Miabi -6.210 23.410
Kasai-Central: Kananga -5.900 22.420; Luiza -7.200 22.420; Demba -5.510 22.270; Dibaya -6.510 22.870
Kasai: Tshikapa -6.420 20.800; Luebo -5.350 21.420; Ilebo -4.320 20.590; Mweka -4.850 21.560
Sankuru: Lodja -3.490 23.430; Lusambo -4.970 23.440; Kole -3.460 22.530
"""

# The four Myanmar markets of tests/support/data/feeds keep their WFP ids and admin2 there.
_MMR_KNOWN = {
    "Yangon": (1180, "Yangon (North)", 16.8409, 96.1735),
    "Mandalay": (1182, "Mandalay", 21.9588, 96.0891),
    "Sittwe": (2561, "Sittwe", 20.1462, 92.8983),
    "Lashio": (3004, "Lashio", 22.9359, 97.7498),
}


def _country(
    iso3: str,
    name: str,
    currency: str,
    rates: tuple[float, float],
    table: str,
    first_id: int,
    known: dict[str, tuple[int, str, float, float]] | None = None,
) -> CountrySpec:
    admin1: list[str] = []
    markets: list[MarketSpec] = []
    for line in table.strip().splitlines():
        region, _, entries = line.partition(":")
        region = region.strip()
        admin1.append(region)
        for entry in entries.split(";"):
            town, lat, lon = entry.strip().rsplit(" ", 2)
            market_id, admin2, latitude, longitude = (known or {}).get(
                town, (first_id + len(markets), "", float(lat), float(lon))
            )
            markets.append(MarketSpec(market_id, town, region, admin2, latitude, longitude))
    return CountrySpec(iso3, name, currency, rates[0], rates[1], tuple(admin1), tuple(markets))


COUNTRIES: dict[str, CountrySpec] = {
    spec.iso3: spec
    for spec in (
        _country("YEM", "Yemen", "YER", (215.0, 1000.0), _YEM, 4000),
        _country("SYR", "Syria", "SYP", (46.5, 12500.0), _SYR, 4200),
        _country("SDN", "Sudan", "SDG", (2.4, 2600.0), _SDN, 4400),
        _country("AFG", "Afghanistan", "AFN", (46.0, 70.0), _AFG, 4600),
        _country("MMR", "Myanmar", "MMK", (900.0, 4200.0), _MMR, 4800, _MMR_KNOWN),
        _country("HTI", "Haiti", "HTG", (40.0, 131.0), _HTI, 5000),
        _country("SSD", "South Sudan", "SSP", (3.0, 4600.0), _SSD, 5200),
        _country("SOM", "Somalia", "SOS", (31000.0, 26000.0), _SOM, 5400),
        _country("NGA", "Nigeria", "NGN", (150.0, 1550.0), _NGA, 5600),
        _country("COD", "DR Congo", "CDF", (900.0, 2850.0), _COD, 5800),
    )
}


def _check_tables() -> None:
    ids = [m.market_id for c in COUNTRIES.values() for m in c.markets]
    assert len(ids) == len(set(ids)), "market ids repeat"
    for country in COUNTRIES.values():
        names = [m.name for m in country.markets]
        assert len(names) == len(set(names)), f"{country.iso3}: a market name repeats"
        assert len(set(country.admin1)) == len(country.admin1), f"{country.iso3}: admin1 repeats"
    codes = [c.commodity_id for c in COMMODITIES]
    assert len(codes) == len(set(codes)), "commodity ids repeat"


_check_tables()


def _cell(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass(frozen=True)
class _Series:
    market: MarketSpec
    commodity: CommoditySpec
    pricetype: str
    unit: str
    usd: float  # US dollars per unit at this market

    def key(self) -> tuple[str, str, str, str, str]:
        return (
            self.market.admin1,
            self.market.name,
            self.commodity.category,
            self.commodity.name,
            self.pricetype,
        )


def _series(country: CountrySpec, rng: random.Random) -> list[_Series]:
    """Every series of the country, ordered so that any first part is spread over the markets."""
    per_market: list[list[_Series]] = []
    for market in country.markets:
        place = rng.uniform(0.85, 1.25)
        retail = list(COMMODITIES)
        rng.shuffle(retail)
        sold = [
            _Series(market, c, "Retail", c.unit, c.usd_price * place * rng.uniform(0.9, 1.1))
            for c in retail
        ]
        wholesale = [c for c in COMMODITIES if c.wholesale_unit is not None]
        rng.shuffle(wholesale)
        sold.extend(
            _Series(
                market,
                c,
                "Wholesale",
                c.wholesale_unit or c.unit,
                c.usd_price * c.wholesale_quantity * place * rng.uniform(0.82, 0.95),
            )
            for c in wholesale
        )
        farm = [c for c in COMMODITIES if c.name in FARM_GATE]
        rng.shuffle(farm)
        sold.extend(
            _Series(market, c, "Farm Gate", c.unit, c.usd_price * place * rng.uniform(0.65, 0.8))
            for c in farm
        )
        per_market.append(sold)
    longest = max(len(s) for s in per_market)
    return [s[rank] for rank in range(longest) for s in per_market if rank < len(s)]


def _prefix(series: _Series, currency: str, *, hxl: bool) -> tuple[str, str]:
    """The cells before and after the price flag, joined and quoted."""
    m, c = series.market, series.commodity
    place = [m.admin1, m.admin2, m.name]
    if not hxl:
        place.append(str(m.market_id))
    position = [f"{m.latitude:g}", f"{m.longitude:g}"]
    item = [c.category, c.name] + ([] if hxl else [str(c.commodity_id)]) + [series.unit]
    before = ",".join(_cell(v) for v in (*place, *position, *item))
    return before, f"{series.pricetype},{currency}"


def capacity(iso3: str) -> int:
    """The most rows a file of this country has with every month from 2010-01 to 2026-10;
    larger files go on month by month past October 2026."""
    country = COUNTRIES[iso3.upper()]
    return len(_series(country, random.Random(0))) * SPAN_MONTHS


def write_wfp_file(
    path: Path, *, iso3: str, rows: int, seed: int = 0, hxl: bool = False
) -> WfpFileInfo:
    """Write a WFP food-price file of exactly `rows` data rows for the country `iso3`."""
    country = COUNTRIES[iso3.upper()]
    if rows < 0:
        raise ValueError("rows must be zero or more")
    rng = random.Random(f"wfp:{country.iso3}:{seed}")
    every = _series(country, rng)
    count = min(len(every), max(1, math.ceil(rows / MONTHS_WANTED)))
    chosen = sorted(every[:count], key=_Series.key)
    months = math.ceil(rows / count) if rows else 0
    parts = [_prefix(s, country.currency, hxl=hxl) for s in chosen]
    seasonal = [1.0 + 0.05 * math.sin(2 * math.pi * (m - 3) / 12) for m in range(12)]
    noise = rng.random
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write((OLD_HEADER if hxl else HEADER) + "\n")
        if hxl:
            out.write(HXL_TAGS + "\n")
        for month in range(months):
            year, month_of_year = divmod(month, 12)
            day = f"{FIRST_YEAR + year}-{month_of_year + 1:02d}-15"
            rate = country.rate(month)
            swing = seasonal[month_of_year]
            lines: list[str] = []
            for series, (before, after) in zip(chosen, parts, strict=True):
                if written == rows:
                    break
                usd = series.usd * swing * (0.94 + 0.12 * noise())
                roll = noise()
                flag = (
                    "actual"
                    if roll < 0.93
                    else "aggregate"
                    if roll < 0.98
                    else '"actual,aggregate"'
                )
                lines.append(f"{day},{before},{flag},{after},{usd * rate:.2f},{usd:.4f}\n")
                written += 1
            out.write("".join(lines))
    last_month = max(months - 1, 0)
    return WfpFileInfo(
        path=path,
        iso3=country.iso3,
        rows=written,
        markets=len({s.market.market_id for s in chosen}) if rows else 0,
        commodities=len({s.commodity.commodity_id for s in chosen}) if rows else 0,
        series=count if rows else 0,
        months=months,
        first_date=date(FIRST_YEAR, 1, 15),
        last_date=date(FIRST_YEAR + last_month // 12, last_month % 12 + 1, 15),
        bytes=path.stat().st_size,
        hxl=hxl,
    )


def all_countries_files(
    directory: Path, rows_per_country: int, *, seed: int = 0, hxl: bool = False
) -> list[Path]:
    """Write wfp_food_prices_<iso3>.csv for every country of COUNTRIES; return their paths."""
    paths = []
    for iso3 in COUNTRIES:
        path = directory / f"wfp_food_prices_{iso3.lower()}.csv"
        write_wfp_file(path, iso3=iso3, rows=rows_per_country, seed=seed, hxl=hxl)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write large WFP food-price files.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("rows", type=int, help="data rows per country")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hxl", action="store_true", help="the older format, with HXL tags")
    args = parser.parse_args(argv)
    for path in all_countries_files(args.directory, args.rows, seed=args.seed, hxl=args.hxl):
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
