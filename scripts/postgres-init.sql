-- Run once by the postgres image on an empty volume: the complaints database beside Airflow's metadata DB.
CREATE USER complaints WITH PASSWORD 'complaints';
CREATE DATABASE complaints OWNER complaints;
