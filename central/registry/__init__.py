"""The real-name registry: enterprises, projects (sites), workers, employment, contracts,
training and face-data consent, as the 实名制 rules require them to be kept.
"""
